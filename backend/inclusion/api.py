"""The inclusion domain's public face: what it announces (typed signal payloads) and what the
domains after it may read of a redemption.

Later domains import this module, never inclusion's tables or internals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.core.values import as_uuid
from backend.inclusion.rewards.tables import Redemption
from backend.inclusion.signals import RedemptionReserved

__all__ = ["RedemptionReserved", "RedemptionSummary", "redemption_summary"]


@dataclass(frozen=True)
class RedemptionSummary:
    id: uuid.UUID
    reward_id: uuid.UUID
    reward_name: dict[str, str]
    community_name: dict[str, str]
    pickup_code: str


async def redemption_summary(redemption_id: uuid.UUID) -> RedemptionSummary | None:
    row = (
        await Redemption.select(
            Redemption.id,
            Redemption.reward.id,
            Redemption.reward.name,
            Redemption.reward._.community._.name,  # typed joins: the community is named by a string
            Redemption.pickup_code,
        )
        .where(Redemption.id == redemption_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    return RedemptionSummary(
        id=as_uuid(row["id"]),
        reward_id=as_uuid(row["reward.id"]),
        reward_name=row["reward.name"] or {},
        community_name=row["reward.community.name"] or {},
        pickup_code=row["pickup_code"],
    )
