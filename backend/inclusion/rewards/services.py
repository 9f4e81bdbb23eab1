"""The points supermarket's catalogue (积分超市): rewards per community, their image and dates.

A reward is public while it is on offer: not withdrawn and within its dates. Only staff who
manage rewards in its community see it otherwise, and only they change it. ``stock`` counts the
items not yet reserved; redemptions (``redemptions``) take and give back one at a time.

Each change is staff acting: one audit entry (``inclusion.reward_*``) in its transaction, in the
reward's community, under ``manage_rewards``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw

from backend.accounts.api import OrganisationKind, Permission, may, organisation, require
from backend.core import audit, clock
from backend.core.db import lock_row, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.images import ImageLimits, process_image
from backend.core.media import MediaStore
from backend.inclusion.rewards.schemas import RewardCreate
from backend.inclusion.rewards.tables import Reward

REWARD_FOLDER = "rewards"
MAX_STOCK = 100_000
PERMISSION = Permission.manage_rewards
_PLAIN_FIELDS = (
    "name",
    "description",
    "points_cost",
    "stock",
    "per_resident_limit",
    "active_from",
    "active_until",
    "withdrawn",
)


def _audited(reward: Reward) -> dict[str, Any]:
    """What an audit entry shows of a reward: its texts, cost, stock, limit, dates and state."""
    return {name: getattr(reward, name) for name in _PLAIN_FIELDS}


async def _audit(action: str, reward: Reward, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> None:
    await audit.record(
        f"inclusion.{action}",
        object_type="reward",
        object_id=reward.id,
        organisation_id=reward.community,
        permission=PERMISSION.value,
        before=before,
        after=after,
    )


def reward_not_found() -> NotFound:
    return NotFound("reward_not_found", N_("This reward does not exist."))


def is_available(reward: Reward, moment: datetime) -> bool:
    """On offer: not withdrawn, started, not ended (stock aside)."""
    return (
        not reward.withdrawn
        and (reward.active_from is None or reward.active_from <= moment)
        and (reward.active_until is None or moment < reward.active_until)
    )


def _available_at(moment: datetime) -> Any:
    return (
        Reward.withdrawn.eq(False)
        & (Reward.active_from.is_null() | (Reward.active_from <= moment))
        & (Reward.active_until.is_null() | (Reward.active_until > moment))
    )


def _check_dates(active_from: datetime | None, active_until: datetime | None) -> None:
    if active_from is not None and active_until is not None and active_until <= active_from:
        raise DomainError("reward_dates_invalid", N_("The end of the offer must come after its start."), status=422)


async def _check_community(community_id: uuid.UUID) -> None:
    found = await organisation(community_id)
    if found is None or found.kind != OrganisationKind.community.value:
        raise DomainError(
            "reward_community_invalid", N_("Rewards belong to a community: choose a community."), status=422
        )


async def reward_row(reward_id: uuid.UUID) -> Reward:
    reward = await Reward.objects().output(load_json=True).where(Reward.id == reward_id).first()
    if reward is None:
        raise reward_not_found()
    return reward


async def managed_reward(*, user_id: uuid.UUID, reward_id: uuid.UUID) -> Reward:
    """A reward the caller manages (403 for others: rewards are public objects)."""
    reward = await reward_row(reward_id)
    await require(user_id=user_id, permission=Permission.manage_rewards, organisation_id=reward.community)
    return reward


async def create_reward(*, user_id: uuid.UUID, data: RewardCreate) -> Reward:
    """Staff who manage rewards in a community add one to its supermarket."""
    await require(user_id=user_id, permission=Permission.manage_rewards, organisation_id=data.community_id)
    await _check_community(data.community_id)
    _check_dates(data.active_from, data.active_until)
    reward = Reward(
        community=data.community_id,
        name=dict(data.name),
        description=dict(data.description),
        image={},
        points_cost=data.points_cost,
        stock=data.stock,
        per_resident_limit=data.per_resident_limit,
        active_from=data.active_from,
        active_until=data.active_until,
        withdrawn=False,
        created_by=user_id,
        created_at=clock.now(),
    )
    async with transaction(Reward._meta.db):
        await reward.save()
        await _audit("reward_created", reward, None, _audited(reward))
    return await reward_row(reward.id)


async def update_reward(*, user_id: uuid.UUID, reward_id: uuid.UUID, changes: Mapping[str, Any]) -> Reward:
    """Change a reward. ``stock_change`` moves the live count and never takes it below zero."""
    if "stock" in changes and "stock_change" in changes:
        raise DomainError(
            "stock_change_conflict", N_("Send either the new stock or a change to it, not both."), status=422
        )
    async with transaction(Reward._meta.db):
        reward = await _held_reward(user_id, reward_id)
        _check_dates(changes.get("active_from", reward.active_from), changes.get("active_until", reward.active_until))
        values: dict[Column | str, Any] = {
            Reward._meta.get_column_by_name(name): changes[name] for name in _PLAIN_FIELDS if name in changes
        }
        if values:
            await Reward.update(values).where(Reward.id == reward.id)
        if changes.get("stock_change"):
            await _move_stock(reward.id, changes["stock_change"])
        changed = await reward_row(reward.id)
        await _audit("reward_changed", reward, _audited(reward), _audited(changed))
    return changed


async def _held_reward(user_id: uuid.UUID, reward_id: uuid.UUID) -> Reward:
    """Inside a transaction: the reward, held until it ends (redemptions meanwhile wait), so the
    audit entry's "before" is what the change changed."""
    await lock_row(Reward._meta.db, Reward._meta.tablename, reward_id)
    return await managed_reward(user_id=user_id, reward_id=reward_id)


async def _move_stock(reward_id: uuid.UUID, change: int) -> None:
    moved = (
        await Reward.update({Reward.stock: Reward.stock + change})
        .where((Reward.id == reward_id) & WhereRaw("stock + {} >= 0 AND stock + {} <= {}", change, change, MAX_STOCK))
        .returning(Reward.stock)
    )
    if not moved:
        row = await Reward.select(Reward.stock).where(Reward.id == reward_id).first()
        raise DomainError(
            "stock_out_of_range",
            N_("Stock must stay between 0 and {max}; {stock} left now."),
            params={"max": MAX_STOCK, "stock": row["stock"] if row else 0},
            status=409,
        )


async def set_reward_image(
    *, user_id: uuid.UUID, reward_id: uuid.UUID, data: bytes, store: MediaStore, limits: ImageLimits = ImageLimits()
) -> dict[str, str]:
    """Replace a reward's picture, re-encoded without its metadata; a refused image keeps the old.
    Returns the stored {rendition: media path}."""
    reward = await managed_reward(user_id=user_id, reward_id=reward_id)
    image = await process_image(data, limits=limits)
    paths = {r.key: f"{REWARD_FOLDER}/{r.filename}" for r in image.renditions}
    await store.write_many({paths[r.key]: r.data for r in image.renditions})
    async with transaction(Reward._meta.db):
        reward = await _held_reward(user_id, reward_id)
        await Reward.update({Reward.image: paths}).where(Reward.id == reward.id)
        await _audit("reward_image_changed", reward, {"image": reward.image}, {"image": paths})
    return paths


async def list_rewards(
    *, community_id: uuid.UUID | None, include_inactive: bool, user_id: uuid.UUID | None, limit: int
) -> list[Reward]:
    """What is on offer (cheapest first); with ``include_inactive`` also the rest, for its staff."""
    query = Reward.objects().output(load_json=True)
    if include_inactive:
        if community_id is None:
            raise DomainError(
                "community_required", N_("Choose a community to see its rewards that are not on offer."), status=422
            )
        if user_id is None:
            raise DomainError("not_authenticated", N_("Please log in first."), status=401)
        await require(user_id=user_id, permission=Permission.manage_rewards, organisation_id=community_id)
    else:
        query = query.where(_available_at(clock.now()))
    if community_id is not None:
        query = query.where(Reward.community == community_id)
    return await query.order_by(Reward.points_cost, Reward.created_at).limit(limit)


async def get_reward(*, reward_id: uuid.UUID, user_id: uuid.UUID | None) -> Reward:
    """A reward on offer; one that is not is visible only to the staff who manage it."""
    reward = await reward_row(reward_id)
    if is_available(reward, clock.now()):
        return reward
    if user_id is not None and await may(
        user_id=user_id, permission=Permission.manage_rewards, organisation_id=reward.community
    ):
        return reward
    raise reward_not_found()
