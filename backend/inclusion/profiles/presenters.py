"""Profiles and children as the API shows them: names in the caller's language, the home as a point."""

from __future__ import annotations

from backend.core.i18n import pick
from backend.core.values import as_uuid
from backend.inclusion.profiles.schemas import DependantRead, HomeLocation, ResidentProfileRead
from backend.inclusion.profiles.services import Profile
from backend.inclusion.profiles.tables import Dependant


def profile_read(profile: Profile) -> ResidentProfileRead:
    row = profile.row
    home = None
    if row.home_latitude is not None and row.home_longitude is not None:
        home = HomeLocation(latitude=row.home_latitude, longitude=row.home_longitude)
    arrival = row.arrival_month
    return ResidentProfileRead(
        community_id=as_uuid(row.community) if row.community is not None else None,
        community_name=pick(profile.community_name)[0] if profile.community_name is not None else None,
        resident_group=row.resident_group,  # type: ignore[arg-type]  # a ResidentGroup: the column's choices
        arrival_month=arrival.strftime("%Y-%m") if arrival else None,
        languages=list(row.languages or []),
        interests=list(row.interests or []),
        prefers_evenings_weekends=row.prefers_evenings_weekends,
        home=home,
        leaderboard_opt_in=row.leaderboard_opt_in,
        age_band=profile.age_band,
        consented_at=row.consented_at,
        updated_at=row.updated_at,
    )


def dependant_read(dependant: Dependant) -> DependantRead:
    return DependantRead(
        id=as_uuid(dependant.id),
        display_name=dependant.display_name,
        birth_year=dependant.birth_year,
        created_at=dependant.created_at,
    )
