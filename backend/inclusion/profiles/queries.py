"""Reads of profiles and children, each for the person they belong to."""

from __future__ import annotations

import uuid

from backend.inclusion.profiles.tables import Dependant, ResidentProfile


async def profile_of(user_id: uuid.UUID) -> ResidentProfile | None:
    """The person's profile, or None: for the other inclusion areas (points, statistics…)."""
    return await ResidentProfile.objects().output(load_json=True).where(ResidentProfile.user == user_id).first()


async def list_dependants(*, user_id: uuid.UUID) -> list[Dependant]:
    """The children linked to this guardian, oldest link first."""
    return await Dependant.objects().where(Dependant.guardian == user_id).order_by(Dependant.created_at)
