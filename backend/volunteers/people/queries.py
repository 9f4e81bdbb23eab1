"""Reading volunteer profiles: the caller's own, whether a person opted in, and the masked names
staff views show."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.volunteers.people.tables import VolunteerProfile


async def get_profile(*, user_id: uuid.UUID) -> VolunteerProfile:
    profile = await VolunteerProfile.objects().output(load_json=True).where(VolunteerProfile.user == user_id).first()
    if profile is None:
        raise NotFound("volunteer_profile_not_found", N_("You have not signed up as a volunteer yet."))
    return profile


async def has_consented(*, user_id: uuid.UUID) -> bool:
    """Whether the person has opted in to volunteering (a profile with consent)."""
    return await VolunteerProfile.exists().where(
        (VolunteerProfile.user == user_id) & VolunteerProfile.consented_at.is_not_null()
    )


async def masked_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """Masked real names (张*明) from the volunteers' profiles: what staff views show."""
    wanted = list({as_uuid(user_id) for user_id in user_ids})
    if not wanted:
        return {}
    rows = await VolunteerProfile.select(VolunteerProfile.user, VolunteerProfile.real_name_masked).where(
        VolunteerProfile.user.is_in(wanted)
    )
    return {as_uuid(row["user"]): row["real_name_masked"] for row in rows}
