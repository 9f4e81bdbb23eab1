"""The volunteer profile: an opt-in with consent; real name and identity document sealed at rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.core.crypto import SealBroken, unseal
from backend.volunteers.tables import VolunteerProfile

REAL_NAME = "volunteer.real_name"
ID_NUMBER = "volunteer.id_number"


@dataclass(frozen=True)
class RecordIdentity:
    """Who a service record is for: the full real name, the document kind and a masked number."""

    real_name: str
    id_document: str | None
    id_number_masked: str | None


async def identity_for_record(*, user_id: uuid.UUID, secret_key: str) -> RecordIdentity | None:
    """The identity printed on a service record; None without a profile holding a real name."""
    row = await VolunteerProfile.select(
        VolunteerProfile.real_name_sealed, VolunteerProfile.id_document, VolunteerProfile.id_number_masked
    ).where(VolunteerProfile.user == user_id).first()
    if row is None or not row["real_name_sealed"]:
        return None
    try:
        real_name = unseal(row["real_name_sealed"], secret_key=secret_key, purpose=REAL_NAME)
    except SealBroken:
        return None  # sealed under an earlier secret key: the volunteer enters it again
    return RecordIdentity(real_name=real_name, id_document=row["id_document"], id_number_masked=row["id_number_masked"])
