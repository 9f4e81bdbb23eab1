"""The inclusion domain's part of a person's export and erasure (its manifest's ``PrivacyPart``).

Erasure puts reserved rewards back on the shelf (refunding their points, so the ledger adds up),
and deletes the resident profile and the children linked to the account. Point entries stay,
pointing at an anonymised account, so community totals and leaderboard history still add up.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import privacy
from backend.inclusion.points.tables import PointEntry
from backend.inclusion.profiles.tables import Dependant, ResidentProfile
from backend.inclusion.rewards.queries import export_redemptions
from backend.inclusion.rewards.redemptions import release_redemptions


async def export_inclusion(user_id: uuid.UUID) -> dict[str, Any]:
    profile = (
        await ResidentProfile.select(
            ResidentProfile.community,
            ResidentProfile.resident_group,
            ResidentProfile.arrival_month,
            ResidentProfile.languages,
            ResidentProfile.interests,
            ResidentProfile.prefers_evenings_weekends,
            ResidentProfile.home_latitude,
            ResidentProfile.home_longitude,
            ResidentProfile.leaderboard_opt_in,
            ResidentProfile.consented_at,
            ResidentProfile.created_at,
            ResidentProfile.updated_at,
        )
        .where(ResidentProfile.user == user_id)
        .output(load_json=True)
        .first()
    )
    return {
        "resident_profile": profile,
        "dependants": await Dependant.select(
            Dependant.id, Dependant.display_name, Dependant.birth_year, Dependant.created_at
        ).where(Dependant.guardian == user_id),
        "points": await PointEntry.select(
            PointEntry.id,
            PointEntry.points,
            PointEntry.reason,
            PointEntry.reason_params,
            PointEntry.community,
            PointEntry.earned_on,
            PointEntry.expires_at,
            PointEntry.created_at,
        )
        .where(PointEntry.user == user_id)
        .order_by(PointEntry.created_at)
        .output(load_json=True),
        "redemptions": await export_redemptions(user_id),
    }


async def erase_inclusion(erasure: privacy.Erasure) -> None:
    await release_redemptions(erasure.user_id)
    await Dependant.delete().where(Dependant.guardian == erasure.user_id)
    await ResidentProfile.delete().where(ResidentProfile.user == erasure.user_id)
