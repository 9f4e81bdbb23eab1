"""The resident profile (self-declared, optional, with consent) and guardian links.

A profile is what lets the app welcome a newcomer and lets the city measure whether new,
relocated and migrant residents and young people take part. Children under 14 have no profile
and no login: they take part through a guardian's account, as dependants.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend.accounts.api import OrganisationKind, lock_person, organisation, person
from backend.core import clock
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.inclusion.profiles.queries import profile_of
from backend.inclusion.profiles.schemas import AgeBand, DependantCreate, ResidentProfileWrite
from backend.inclusion.profiles.tables import Dependant, ResidentProfile

CHILD_UNDER = 14  # PIPL: under 14 only through a guardian
YOUTH_UNTIL = 35
ADULT_UNTIL = 59
GUARDIAN_MIN_AGE = 18
MAX_DEPENDANTS = 10
HOME_DECIMALS = 3  # about 100 m: enough for "near you", not enough to find a door


def age_band(birth_year: int | None, today: date) -> AgeBand | None:
    """child (<14), youth (14–35), adult (36–59), senior (60+), or None without a birth year."""
    if birth_year is None:
        return None
    age = today.year - birth_year
    if age < CHILD_UNDER:
        return "child"
    if age <= YOUTH_UNTIL:
        return "youth"
    if age <= ADULT_UNTIL:
        return "adult"
    return "senior"


@dataclass(frozen=True)
class Profile:
    """A resident's profile with what its answer names besides: the home community's name
    ({locale: name}) and the age band the account's birth year gives today."""

    row: ResidentProfile
    community_name: Mapping[str, str] | None
    age_band: AgeBand | None


async def birth_year_of(user_id: uuid.UUID) -> int | None:
    found = await person(user_id)
    return found.birth_year if found else None


# --- the profile -------------------------------------------------------------------------------------


async def _own_profile(user_id: uuid.UUID) -> ResidentProfile:
    profile = await profile_of(user_id)
    if profile is None:
        raise NotFound("resident_profile_not_found", N_("You have not filled in a resident profile yet."))
    return profile


async def _described(profile: ResidentProfile) -> Profile:
    community_name = None
    if profile.community is not None:
        community = await organisation(profile.community)
        community_name = community.name if community else None
    band = age_band(await birth_year_of(as_uuid(profile.user)), clock.city_today())
    return Profile(row=profile, community_name=community_name, age_band=band)


async def get_profile(*, user_id: uuid.UUID) -> Profile:
    """The caller's own profile (404 before they fill one in)."""
    return await _described(await _own_profile(user_id))


def _arrival(month: str | None) -> date | None:
    if month is None:
        return None
    year, number = (int(part) for part in month.split("-"))
    arrived = date(year, number, 1)
    if arrived > clock.city_today().replace(day=1):
        raise DomainError("arrival_in_future", N_("The arrival month cannot be in the future."), status=422)
    return arrived


async def _check_community(community_id: uuid.UUID | None) -> None:
    if community_id is None:
        return
    found = await organisation(community_id)
    if found is None or found.kind != OrganisationKind.community.value:
        raise DomainError("community_invalid", N_("Please choose a community as your home community."), status=422)


def child_needs_guardian() -> DomainError:
    return DomainError(
        "child_needs_guardian",
        N_("Children under {age} take part through a parent's or guardian's account."),
        params={"age": CHILD_UNDER},
        status=422,
    )


async def _values(user_id: uuid.UUID, data: ResidentProfileWrite) -> dict[Any, Any]:
    if not data.consent:
        raise DomainError("consent_required", N_("Please agree to the use of your profile first."), status=422)
    if age_band(await birth_year_of(user_id), clock.city_today()) == "child":
        raise child_needs_guardian()
    await _check_community(data.community_id)
    home, now = data.home, clock.now()
    return {
        ResidentProfile.community: data.community_id,
        ResidentProfile.resident_group: data.resident_group,
        ResidentProfile.arrival_month: _arrival(data.arrival_month),
        ResidentProfile.languages: list(dict.fromkeys(data.languages)),
        ResidentProfile.interests: list(dict.fromkeys(data.interests)),
        ResidentProfile.prefers_evenings_weekends: data.prefers_evenings_weekends,
        ResidentProfile.home_latitude: round(home.latitude, HOME_DECIMALS) if home else None,
        ResidentProfile.home_longitude: round(home.longitude, HOME_DECIMALS) if home else None,
        ResidentProfile.leaderboard_opt_in: data.leaderboard_opt_in,
        ResidentProfile.consented_at: now,
        ResidentProfile.updated_at: now,
    }


async def save_profile(*, user_id: uuid.UUID, data: ResidentProfileWrite) -> tuple[Profile, bool]:
    """Create or replace the caller's profile; consent is asked every time. (profile, created)."""
    values = await _values(user_id, data)
    engine = ResidentProfile._meta.db
    try:
        async with transaction(engine):
            # One person's concurrent saves queue here, so the second finds the first's row.
            await lock_person(user_id)
            created = not await ResidentProfile.exists().where(ResidentProfile.user == user_id)
            if created:
                row = ResidentProfile(user=user_id, created_at=clock.now())
                for column, value in values.items():
                    setattr(row, column._meta.name, value)
                await row.save()
            else:
                await ResidentProfile.update(values).where(ResidentProfile.user == user_id)
    except UNIQUE_VIOLATIONS:
        created = False  # a race the lock should prevent: the other save made the row
        await ResidentProfile.update(values).where(ResidentProfile.user == user_id)
    return await get_profile(user_id=user_id), created


async def delete_profile(*, user_id: uuid.UUID) -> None:
    """Consent withdrawn: the profile goes (points stay; they never depended on it)."""
    await _own_profile(user_id)
    await ResidentProfile.delete().where(ResidentProfile.user == user_id)


# --- guardians and their children ------------------------------------------------------------------


def _clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or not name.isprintable():
        raise DomainError("invalid_display_name", N_("Please enter a name."), status=422)
    return name


async def add_dependant(*, user_id: uuid.UUID, data: DependantCreate) -> Dependant:
    """Link a child under 14 to the caller, who must be 18 or older when their birth year is known."""
    today = clock.city_today()
    if data.birth_year > today.year or age_band(data.birth_year, today) != "child":
        raise DomainError(
            "dependant_not_a_child",
            N_("Only children under {age} are added to a guardian's account."),
            params={"age": CHILD_UNDER},
            status=422,
        )
    guardian_year = await birth_year_of(user_id)
    if guardian_year is not None and today.year - guardian_year < GUARDIAN_MIN_AGE:
        raise DomainError(
            "guardian_too_young",
            N_("A guardian must be at least {age} years old."),
            params={"age": GUARDIAN_MIN_AGE},
            status=422,
        )
    name = _clean_name(data.display_name)
    engine = Dependant._meta.db
    async with transaction(engine):
        await lock_person(user_id)
        if await Dependant.count().where(Dependant.guardian == user_id) >= MAX_DEPENDANTS:
            raise DomainError(
                "too_many_dependants",
                N_("At most {limit} children can be added."),
                params={"limit": MAX_DEPENDANTS},
                status=422,
            )
        dependant = Dependant(guardian=user_id, display_name=name, birth_year=data.birth_year, created_at=clock.now())
        await dependant.save()
    return dependant


async def remove_dependant(*, user_id: uuid.UUID, dependant_id: uuid.UUID) -> None:
    """Unlink one of the caller's children; someone else's child is not found (404)."""
    removed = (
        await Dependant.delete()
        .where((Dependant.id == dependant_id) & (Dependant.guardian == user_id))
        .returning(Dependant.id)
    )
    if not removed:
        raise NotFound("dependant_not_found", N_("This child is not linked to your account."))
