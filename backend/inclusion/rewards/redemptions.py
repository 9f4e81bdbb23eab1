"""Redemptions: points and one item taken together or not at all; a pickup code; fulfil; refund.

A redemption is core's idempotent operation (``perform_once``): one transaction that first holds
the person (``ledger.hold_person``), so one resident's requests queue and the per-resident limit
and the balance are checked against what the previous request committed. The item is taken by
one conditional UPDATE on the reward row (``stock > 0``), which PostgreSQL serialises with its
row lock and SQLite with BEGIN IMMEDIATE: however many residents race for the last item, one
wins and stock never goes below zero. Cancelling flips the status with a conditional UPDATE too,
so a refund happens once.

Staff handing an item over or cancelling it at the counter leave one audit entry each (in the
reward's community, under ``manage_rewards``); a resident's own redeeming and cancelling do not.
The entry never holds the pickup code: whoever reads the trail must not be able to collect.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from backend.accounts.api import Permission, may, person_row
from backend.core import audit, clock, signals
from backend.core.db import UNIQUE_VIOLATIONS, json_value, named, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.idempotency import key_reused
from backend.core.turns import Turns
from backend.core.values import as_uuid
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.inclusion.rewards.queries import HELD
from backend.inclusion.rewards.services import is_available, reward_not_found
from backend.inclusion.rewards.tables import Redemption, RedemptionStatus, Reward
from backend.inclusion.signals import RedemptionReserved

# No 0/O, 1/I/L or U/V: a code read aloud at a counter or typed from a screen survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 8
CODE_ATTEMPTS = 5


def new_pickup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _not_found() -> NotFound:
    return NotFound("redemption_not_found", N_("This redemption does not exist."))


async def redeem(*, user_id: uuid.UUID, reward_id: uuid.UUID, idempotency_key: str | None) -> Redeemed:
    """Spend points on one item of a reward; (redemption, created). A retried key answers as before.
    A new pickup code that was already taken (about one in 10^11) rolls everything back: again.

    The hot path, as the events' sign-up: hold the person, one conditional UPDATE of the reward
    that checks the offer, the limit and the balance and takes the item (returning what the
    answer shows), one INSERT of the points, the redemption and its signal, COMMIT. What the
    UPDATE does not match takes the careful path in the same transaction, which says why; the
    pickup notice is written after the answer."""
    for _attempt in range(CODE_ATTEMPTS):
        try:
            # The person held from BEGIN (ledger.hold_person's hold, a round trip less).
            async with _TURNS.turn(reward_id), signals.atomic(after_answer=True, hold=person_row(user_id)):
                reward = await _take_fast(user_id, reward_id)
                if reward is not None:
                    return Redeemed(await _record(user_id, reward, idempotency_key), True, reward)
                if idempotency_key and (found := await _earlier(user_id, reward_id, idempotency_key)) is not None:
                    return Redeemed(found, False)
                return Redeemed(await _reserve(user_id, reward_id, idempotency_key), True)
        except UNIQUE_VIOLATIONS:
            # A concurrent retry of this request committed first, or the pickup code was taken.
            if idempotency_key and (found := await _earlier(user_id, reward_id, idempotency_key)) is not None:
                return Redeemed(found, False)
    raise RuntimeError("no free pickup code after several attempts")


@dataclass(frozen=True)
class Redeemed:
    """A redemption, whether this request made it, and its reward when the request read it."""

    redemption: Redemption
    created: bool
    reward: Reward | None = None


async def _earlier(user_id: uuid.UUID, reward_id: uuid.UUID, key: str) -> Redemption | None:
    found = await Redemption.objects().where((Redemption.user == user_id) & (Redemption.idempotency_key == key)).first()
    if found is not None and found.reward != reward_id:
        raise key_reused()
    return found


def _reserved(redemption: Redemption) -> RedemptionReserved:
    return RedemptionReserved(
        redemption_id=redemption.id,
        reward_id=redemption.reward,
        user_id=redemption.user,
        pickup_code=redemption.pickup_code,
    )


# On offer now, an item left, fewer held by this resident than the limit, and points enough. Runs
# after the person's hold, so its snapshot sees their earlier redemptions and points.
_TURNS = Turns()  # one reward's redemptions in flight in this process (core.turns)

_TAKE = """
UPDATE inclusion_reward SET stock = stock - 1
WHERE id = {reward} AND stock > 0 AND NOT withdrawn
    AND (active_from IS NULL OR active_from <= {now}) AND (active_until IS NULL OR active_until > {now})
    AND (
        SELECT COUNT(*) FROM inclusion_redemption r
        WHERE r."user" = {user} AND r.reward = {reward} AND r.status IN ({reserved}, {fulfilled})
    ) < per_resident_limit
    AND {balance} >= points_cost
RETURNING community, name, image, points_cost
"""


async def _take_fast(user_id: uuid.UUID, reward_id: uuid.UUID) -> Reward | None:
    taken = await Reward.raw(
        *named(
            _TAKE,
            reward=reward_id,
            now=clock.now(),
            user=user_id,
            reserved=RedemptionStatus.reserved.value,
            fulfilled=RedemptionStatus.fulfilled.value,
            balance=ledger.balance_subquery(user_id),
        )
    )
    if not taken:
        return None
    row = taken[0]
    return Reward(
        id=reward_id,
        community=as_uuid(row["community"]),
        name=json_value(row["name"]),
        image=json_value(row["image"]),
        points_cost=row["points_cost"],
    )


async def _record(user_id: uuid.UUID, reward: Reward, idempotency_key: str | None) -> Redemption:
    """The points spent, the redemption and its signal: one statement on PostgreSQL."""
    redemption = Redemption(
        id=uuid.uuid4(),
        reward=reward.id,
        user=user_id,
        points=reward.points_cost,
        pickup_code=new_pickup_code(),
        status=RedemptionStatus.reserved.value,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
    spent = ledger.entry(
        user_id=user_id,
        points=-reward.points_cost,
        reason=PointReason.redemption,
        source_key=f"redeem:{redemption.id}",
        community_id=reward.community,
        reason_params={"reward": reward.name},
    )
    await signals.emit_along(_reserved(redemption), PointEntry.insert(spent), Redemption.insert(redemption))
    return redemption


async def _reserve(user_id: uuid.UUID, reward_id: uuid.UUID, idempotency_key: str | None) -> Redemption:
    """Inside the person's transaction: the checks in order, each with its refusal, then the
    stock, and the points, the row and the signal as the hot path writes them."""
    reward = await Reward.objects().output(load_json=True).where(Reward.id == reward_id).first()
    if reward is None:
        raise reward_not_found()
    if not is_available(reward, clock.now()):
        raise DomainError("reward_not_available", N_("This reward is not on offer now."), status=409)
    held = await Redemption.count().where(
        (Redemption.user == user_id) & (Redemption.reward == reward_id) & Redemption.status.is_in(HELD)
    )
    if held >= reward.per_resident_limit:
        raise DomainError(
            "redemption_limit_reached",
            N_("You have reached this reward's limit of {limit} per person."),
            params={"limit": reward.per_resident_limit},
            status=409,
        )
    balance = await ledger.balance(user_id)
    if balance < reward.points_cost:
        raise DomainError(
            "not_enough_points",
            N_("Not enough points: this reward costs {cost} and your balance is {balance}."),
            params={"balance": balance, "cost": reward.points_cost},
            status=409,
        )
    taken = (
        await Reward.update({Reward.stock: Reward.stock - 1})
        .where((Reward.id == reward_id) & (Reward.stock > 0))
        .returning(Reward.stock)
    )
    if not taken:
        raise DomainError("reward_out_of_stock", N_("This reward has run out."), status=409)
    return await _record(user_id, reward, idempotency_key)


async def cancel_redemption(*, user_id: uuid.UUID, redemption_id: uuid.UUID) -> Redemption:
    """The resident gives back a reserved item: the stock and the points return, once."""
    redemption = (
        await Redemption.objects().where((Redemption.id == redemption_id) & (Redemption.user == user_id)).first()
    )
    if redemption is None:  # someone else's answers like a missing one
        raise _not_found()
    return await _cancel(redemption)


async def cancel_by_code(*, user_id: uuid.UUID, code: str) -> Redemption:
    """Staff cancel a reservation (the item is gone, the resident asks at the counter): a refund."""
    redemption, community = await for_staff(user_id, code)
    return await _cancel(redemption, audited_in=community)


async def fulfil_redemption(*, user_id: uuid.UUID, code: str) -> Redemption:
    """Staff hand the item over against its pickup code (any letter case)."""
    redemption, community = await for_staff(user_id, code)
    async with transaction(Redemption._meta.db):
        done = (
            await Redemption.update(
                {
                    Redemption.status: RedemptionStatus.fulfilled.value,
                    Redemption.fulfilled_at: clock.now(),
                    Redemption.fulfilled_by: user_id,
                }
            )
            .where((Redemption.id == redemption.id) & (Redemption.status == RedemptionStatus.reserved.value))
            .returning(Redemption.id)
        )
        if not done:
            raise await _not_reserved(redemption.id)
        await _audit("redemption_handed_over", redemption, community, RedemptionStatus.fulfilled)
    return await _redemption(redemption.id)


async def _audit(action: str, redemption: Redemption, community: uuid.UUID, status: RedemptionStatus) -> None:
    shown = {"reward": redemption.reward, "points": redemption.points}
    await audit.record(
        f"inclusion.{action}",
        object_type="redemption",
        object_id=redemption.id,
        organisation_id=community,
        permission=Permission.manage_rewards.value,
        before={**shown, "status": RedemptionStatus.reserved.value},
        after={**shown, "status": status.value},
    )


async def _cancel(redemption: Redemption, *, audited_in: uuid.UUID | None = None) -> Redemption:
    """Flip to cancelled once, stock and points back; staff at the counter (``audited_in``: the
    reward's community) leave an audit entry, a resident or an account's closing do not."""
    reward = (
        await Reward.select(Reward.community, Reward.name)
        .where(Reward.id == redemption.reward)
        .output(load_json=True)
        .first()
    )
    async with transaction(Redemption._meta.db):
        await ledger.hold_person(redemption.user)  # the same lock order as redeem: person, then reward
        flipped = (
            await Redemption.update(
                {Redemption.status: RedemptionStatus.cancelled.value, Redemption.cancelled_at: clock.now()}
            )
            .where((Redemption.id == redemption.id) & (Redemption.status == RedemptionStatus.reserved.value))
            .returning(Redemption.id)
        )
        if not flipped:  # fulfilled, or a concurrent cancel got there first
            raise await _not_reserved(redemption.id)
        await Reward.update({Reward.stock: Reward.stock + 1}).where(Reward.id == redemption.reward)
        await ledger.append(
            user_id=redemption.user,
            points=redemption.points,
            reason=PointReason.redemption_refund,
            source_key=f"refund:{redemption.id}",
            community_id=reward["community"] if reward else None,
            reason_params={"reward": reward["name"] if reward else {}},
        )
        if audited_in is not None:
            await _audit("redemption_cancelled", redemption, audited_in, RedemptionStatus.cancelled)
    return await _redemption(redemption.id)


async def _not_reserved(redemption_id: uuid.UUID) -> DomainError:
    row = await Redemption.select(Redemption.status).where(Redemption.id == redemption_id).first()
    if row is not None and row["status"] == RedemptionStatus.fulfilled.value:
        return DomainError("redemption_already_fulfilled", N_("This reward has already been picked up."), status=409)
    return DomainError("redemption_cancelled", N_("This redemption has been cancelled."), status=409)


async def for_staff(user_id: uuid.UUID, code: str) -> tuple[Redemption, uuid.UUID]:
    """The redemption a pickup code names and its reward's community, if the caller manages
    rewards there. To anyone else a valid code answers as an unknown one: a code must not be
    confirmable by trying."""
    normalised = code.strip().upper()
    if not (0 < len(normalised) <= 16 and normalised.isascii() and normalised.isalnum()):
        raise _not_found()
    redemption = await Redemption.objects().where(Redemption.pickup_code == normalised).first()
    if redemption is None:
        raise _not_found()
    reward = await Reward.select(Reward.community).where(Reward.id == redemption.reward).first()
    if reward is None or not await may(
        user_id=user_id, permission=Permission.manage_rewards, organisation_id=reward["community"]
    ):
        raise _not_found()
    return redemption, as_uuid(reward["community"])


async def _redemption(redemption_id: uuid.UUID) -> Redemption:
    redemption = await Redemption.objects().where(Redemption.id == redemption_id).first()
    if redemption is None:
        raise _not_found()
    return redemption


async def release_redemptions(user_id: uuid.UUID) -> int:
    """Closing an account: every reserved item goes back on the shelf and its points are refunded
    (the ledger keeps adding up). How many were released."""
    reserved = await Redemption.objects().where(
        (Redemption.user == user_id) & (Redemption.status == RedemptionStatus.reserved.value)
    )
    released = 0
    for redemption in reserved:
        try:
            await _cancel(redemption)
        except DomainError:
            continue  # fulfilled or cancelled meanwhile
        released += 1
    return released
