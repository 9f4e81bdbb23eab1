"""Reads of the points supermarket: rewards by id, what a person may still redeem, their own
redemptions and their export."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from backend.accounts.api import person
from backend.core import clock
from backend.core.values import as_uuid
from backend.inclusion.rewards.tables import Redemption, RedemptionStatus, Reward

HELD = [RedemptionStatus.reserved.value, RedemptionStatus.fulfilled.value]  # what counts against a limit


async def rewards_by_id(reward_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Reward]:
    ids = list(set(reward_ids))
    if not ids:
        return {}
    rows = await Reward.objects().output(load_json=True).where(Reward.id.is_in(ids))
    return {reward.id: reward for reward in rows}


async def redemptions_left(*, user_id: uuid.UUID | None, rewards: Iterable[Reward]) -> dict[uuid.UUID, int | None]:
    """For each reward, how many more the person may redeem (None for an anonymous caller)."""
    rewards = list(rewards)
    if user_id is None or not rewards:
        return {reward.id: None for reward in rewards}
    rows = (
        await Redemption.select(Redemption.reward, Count(alias="held"))
        .where(
            (Redemption.user == user_id)
            & Redemption.reward.is_in([reward.id for reward in rewards])
            & Redemption.status.is_in(HELD)
        )
        .group_by(Redemption.reward)
    )
    held = {as_uuid(row["reward"]): row["held"] for row in rows}
    return {reward.id: max(reward.per_resident_limit - held.get(reward.id, 0), 0) for reward in rewards}


async def redeemer_name(redemption: Redemption) -> str | None:
    """The redeemer's display name, for staff at the counter (who are shown it masked); None for
    a closed account."""
    found = await person(redemption.user)
    return None if found is None or found.deleted else found.display_name


async def my_redemptions(*, user_id: uuid.UUID, limit: int = 100) -> list[Redemption]:
    """The caller's redemptions, newest first."""
    return (
        await Redemption.objects()
        .where(Redemption.user == user_id)
        .order_by(Redemption.created_at, ascending=False)
        .limit(limit)
    )


async def export_redemptions(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's redemptions as plain JSON, for their data export (PIPL)."""
    found = (
        await Redemption.select(
            Redemption.id,
            Redemption.reward,
            Redemption.reward.name.as_alias("reward_name"),
            Redemption.points,
            Redemption.pickup_code,
            Redemption.status,
            Redemption.created_at,
            Redemption.fulfilled_at,
            Redemption.cancelled_at,
        )
        .where(Redemption.user == user_id)
        .order_by(Redemption.created_at)
        .output(load_json=True)
    )
    return [
        {
            key: str(value)
            if isinstance(value, uuid.UUID)
            else clock.iso(value)
            if isinstance(value, datetime)
            else value
            for key, value in row.items()
        }
        for row in found
    ]
