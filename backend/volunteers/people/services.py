"""The volunteer profile: an opt-in with consent; real name and identity document sealed at rest.

PIPL asks for the minimum: a profile needs only consent. A real name and an identity document are
optional (a formal service record needs them); they are stored sealed, beside a masked form that
is all any view ever shows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.columns import Column

from backend.accounts.api import lock_person
from backend.core import clock
from backend.core.crypto import DataKeys, SealBroken, reseal, seal, sealed_under_current, unseal
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.volunteers.people.queries import get_profile
from backend.volunteers.people.schemas import VolunteerProfileWrite
from backend.volunteers.people.tables import IdDocument, VolunteerProfile
from backend.volunteers.storage import delete_folder, private_store, record_folder

REAL_NAME = "volunteer.real_name"
ID_NUMBER = "volunteer.id_number"

REAL_NAME_MIN, REAL_NAME_MAX = 2, 40
_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class OwnIdentity:
    """A volunteer's identity as they may see it themselves (their export): nothing masked."""

    real_name: str | None
    id_document: str | None
    id_number: str | None


async def identity_for_owner(*, user_id: uuid.UUID, keys: DataKeys) -> OwnIdentity | None:
    """The real name and identity number unsealed, for the person themselves only; a value sealed
    under a key no longer held reads as None."""
    row = (
        await VolunteerProfile.select(
            VolunteerProfile.real_name_sealed, VolunteerProfile.id_document, VolunteerProfile.id_number_sealed
        )
        .where(VolunteerProfile.user == user_id)
        .first()
    )
    if row is None:
        return None

    def opened(sealed: str | None, purpose: str) -> str | None:
        if not sealed:
            return None
        try:
            return unseal(sealed, keys=keys, purpose=purpose)
        except SealBroken:
            return None

    return OwnIdentity(
        real_name=opened(row["real_name_sealed"], REAL_NAME),
        id_document=row["id_document"],
        id_number=opened(row["id_number_sealed"], ID_NUMBER),
    )


@dataclass(frozen=True)
class RecordIdentity:
    """Who a service record is for: the full real name, the document kind and a masked number."""

    real_name: str
    id_document: str | None
    id_number_masked: str | None


async def identity_for_record(*, user_id: uuid.UUID, keys: DataKeys) -> RecordIdentity | None:
    """The identity printed on a service record; None without a profile holding a real name."""
    row = (
        await VolunteerProfile.select(
            VolunteerProfile.real_name_sealed, VolunteerProfile.id_document, VolunteerProfile.id_number_masked
        )
        .where(VolunteerProfile.user == user_id)
        .first()
    )
    if row is None or not row["real_name_sealed"]:
        return None
    try:
        real_name = unseal(row["real_name_sealed"], keys=keys, purpose=REAL_NAME)
    except SealBroken:
        return None  # sealed under an earlier secret key: the volunteer enters it again
    return RecordIdentity(real_name=real_name, id_document=row["id_document"], id_number_masked=row["id_number_masked"])


# --- masking and checking ----------------------------------------------------------------------


def _is_latin(name: str) -> bool:
    return all(ord(char) < 0x250 for char in name if char.isalpha())


def mask_real_name(name: str) -> str:
    """张*明, 张* for two characters; each word's first letter for Latin names: J*** S****."""
    if " " in name or _is_latin(name):
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """The first and last four characters (fewer for short numbers), stars between."""
    keep = max(1, min(4, len(number) // 4))
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def resident_id_is_valid(number: str) -> bool:
    """Format and GB 11643 check character of an 18-character resident ID number."""
    if not _RESIDENT_ID.match(number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17]


def _clean_real_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not (REAL_NAME_MIN <= len(name) <= REAL_NAME_MAX) or not name.isprintable():
        raise DomainError(
            "real_name_invalid",
            N_("Please enter your real name: {min} to {max} characters."),
            params={"min": REAL_NAME_MIN, "max": REAL_NAME_MAX},
            status=422,
        )
    return name


def _clean_id_number(document: IdDocument, raw: str) -> str:
    number = "".join(raw.split()).upper()
    if document is IdDocument.resident_id:
        if not _RESIDENT_ID.match(number):
            raise DomainError(
                "id_number_invalid",
                N_("A resident ID number has 18 characters: 17 digits, then a digit or X."),
                status=422,
            )
        if not resident_id_is_valid(number):
            raise DomainError(
                "id_number_check_failed",
                N_("This resident ID number is not valid. Please check it digit by digit."),
                status=422,
            )
    elif not _OTHER_DOCUMENT.match(number):
        raise DomainError("id_number_invalid", N_("A document number has 5 to 20 letters or digits."), status=422)
    return number


def _clean_list(values: list[str]) -> list[str]:
    """Trimmed, blanks dropped, each once, in the order given."""
    return list(dict.fromkeys(value.strip() for value in values if value.strip()))


def _changes(data: VolunteerProfileWrite, keys: DataKeys) -> dict[Any, Any]:
    if not data.consent:
        raise DomainError("consent_required", N_("Please agree to the volunteer terms first."), status=422)
    if (data.id_document is msgspec.UNSET) != (data.id_number is msgspec.UNSET):
        raise DomainError(
            "id_document_incomplete", N_("Give both the kind of document and its number, or neither."), status=422
        )
    changes: dict[Any, Any] = {}
    if data.real_name is not msgspec.UNSET:
        name = _clean_real_name(data.real_name)
        changes[VolunteerProfile.real_name_sealed] = seal(name, keys=keys, purpose=REAL_NAME)
        changes[VolunteerProfile.real_name_masked] = mask_real_name(name)
    if data.id_document is not msgspec.UNSET and data.id_number is not msgspec.UNSET:
        number = _clean_id_number(data.id_document, data.id_number)
        changes[VolunteerProfile.id_document] = data.id_document.value
        changes[VolunteerProfile.id_number_sealed] = seal(number, keys=keys, purpose=ID_NUMBER)
        changes[VolunteerProfile.id_number_masked] = mask_id_number(number)
    if data.skills is not msgspec.UNSET:
        changes[VolunteerProfile.skills] = _clean_list(data.skills)
    if data.languages is not msgspec.UNSET:
        changes[VolunteerProfile.languages] = _clean_list(data.languages)
    return changes


# --- services ----------------------------------------------------------------------------------------


async def save_profile(
    *, user_id: uuid.UUID, data: VolunteerProfileWrite, keys: DataKeys
) -> tuple[VolunteerProfile, bool]:
    """Opt in, or change the profile; consent is asked every time. (profile, created)."""
    changes = _changes(data, keys)
    engine = VolunteerProfile._meta.db
    try:
        async with transaction(engine):
            # One person's concurrent saves queue here, so the second sees the first's row.
            await lock_person(user_id)
            created = not await VolunteerProfile.exists().where(VolunteerProfile.user == user_id)
            if created:
                await _insert(user_id, changes)
            else:
                await VolunteerProfile.update({**changes, VolunteerProfile.updated_at: clock.now()}).where(
                    VolunteerProfile.user == user_id
                )
    except UNIQUE_VIOLATIONS:
        # A race the lock should prevent; the other save made the row, so this one changes it.
        created = False
        await VolunteerProfile.update({**changes, VolunteerProfile.updated_at: clock.now()}).where(
            VolunteerProfile.user == user_id
        )
    return await get_profile(user_id=user_id), created


async def _insert(user_id: uuid.UUID, changes: dict[Any, Any]) -> None:
    now = clock.now()
    row = VolunteerProfile(user=user_id, consented_at=now, created_at=now, updated_at=now)
    for column, value in changes.items():
        setattr(row, column._meta.name, value)
    await row.save()


async def erase_identity(*, user_id: uuid.UUID) -> VolunteerProfile:
    """Forget the real name and identity document, and the service-record PDFs that print them;
    skills, languages and consent stay."""
    await get_profile(user_id=user_id)
    delete_folder(private_store(), record_folder(user_id))
    await VolunteerProfile.update(
        {
            VolunteerProfile.real_name_sealed: None,
            VolunteerProfile.real_name_masked: None,
            VolunteerProfile.id_document: None,
            VolunteerProfile.id_number_sealed: None,
            VolunteerProfile.id_number_masked: None,
            VolunteerProfile.updated_at: clock.now(),
        }
    ).where(VolunteerProfile.user == user_id)
    return await get_profile(user_id=user_id)


RESEAL_BATCH = 200


async def reseal_profiles(keys: DataKeys) -> int:
    """Seal every real name and identity number again under the current data key (``linli
    rotate-keys``): in batches, each profile in a short transaction of its own, so a running
    service is never held up. Returns how many values were sealed again."""
    done, after = 0, None
    while True:
        query = VolunteerProfile.select(
            VolunteerProfile.id, VolunteerProfile.real_name_sealed, VolunteerProfile.id_number_sealed
        ).order_by(VolunteerProfile.id)
        if after is not None:
            query = query.where(VolunteerProfile.id > after)
        rows = await query.limit(RESEAL_BATCH)
        for row in rows:
            changes: dict[Column | str, Any] = {
                column: reseal(row[column._meta.name], keys=keys, purpose=purpose)
                for column, purpose in (
                    (VolunteerProfile.real_name_sealed, REAL_NAME),
                    (VolunteerProfile.id_number_sealed, ID_NUMBER),
                )
                if row[column._meta.name] and not sealed_under_current(row[column._meta.name], keys)
            }
            if changes:
                async with transaction(VolunteerProfile._meta.db):
                    await VolunteerProfile.update(changes).where(VolunteerProfile.id == row["id"])
                done += len(changes)
        if len(rows) < RESEAL_BATCH:
            return done
        after = rows[-1]["id"]
