"""The inclusion domain's public face: what it announces (typed signal payloads) and what the
domains after it may read of a redemption.

Later domains import this module, never inclusion's tables or internals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.accounts.api import OrganisationKind, OrganisationRef, Permission, organisations_under, people, scope_paths
from backend.core.values import as_uuid, mask_name
from backend.inclusion.insight.monthly import AGE_BAND_NAMES, AGE_BANDS, MonthlyReport, monthly_export, monthly_report
from backend.inclusion.insight.monthly_presenters import monthly_csv
from backend.inclusion.insight.presenters import GROUP_NAMES, report_csv
from backend.inclusion.insight.statistics import (
    GROUPS,
    MIN_CELL,
    ParticipationReport,
    month_text,
    participation_export,
    participation_report,
)
from backend.inclusion.points import awards as _awards
from backend.inclusion.points.listeners import expire_months_setting
from backend.inclusion.points.presenters import rules_read
from backend.inclusion.points.rules import community_rules, replace_rules
from backend.inclusion.points.schemas import PointRuleRead, PointRuleWrite
from backend.inclusion.points.tables import PointRuleKind
from backend.inclusion.profiles.services import age_band
from backend.inclusion.rewards import presenters, queries, redemptions
from backend.inclusion.rewards.presenters import reward_read
from backend.inclusion.rewards.schemas import RedemptionRead, RewardCreate, RewardRead, RewardUpdate
from backend.inclusion.rewards.services import (
    MAX_STOCK,
    create_reward,
    list_rewards,
    managed_reward,
    set_reward_image,
    update_reward,
)
from backend.inclusion.rewards.tables import Redemption, RedemptionStatus
from backend.inclusion.signals import RedemptionReserved

__all__ = [
    "AGE_BANDS",
    "AGE_BAND_NAMES",
    "GROUPS",
    "GROUP_NAMES",
    "MAX_STOCK",
    "MIN_CELL",
    "CounterHandOver",
    "MonthlyReport",
    "ParticipationReport",
    "PointRuleRead",
    "PointRuleWrite",
    "RedemptionRead",
    "RedemptionReserved",
    "RedemptionSummary",
    "RewardCreate",
    "RewardRead",
    "RewardUpdate",
    "age_band",
    "award_meeting_opinion",
    "award_survey_answer",
    "cancel_at_counter",
    "community_rules",
    "counter_hand_overs",
    "counter_redemption",
    "create_reward",
    "fulfil_at_counter",
    "list_rewards",
    "managed_reward",
    "month_text",
    "monthly_csv",
    "monthly_export",
    "monthly_report",
    "participation_export",
    "participation_report",
    "pickups_waiting",
    "redemption_summary",
    "replace_rules",
    "report_csv",
    "reward_communities",
    "reward_read",
    "rules_read",
    "set_reward_image",
    "statistics_communities",
    "update_reward",
]


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


# --- the counter: what the API's staff operations answer, for the console's counter ---------------


async def _at_counter(redemption: Redemption) -> RedemptionRead:
    """Staff's view of a redemption: the reward in the reader's language, the redeemer masked."""
    reward = (await queries.rewards_by_id([redemption.reward])).get(redemption.reward)
    return presenters.redemption_read(redemption, reward, await queries.redeemer_name(redemption))


async def counter_redemption(*, user_id: uuid.UUID, code: str) -> RedemptionRead:
    """The redemption a pickup code names, as the counter's fulfil and cancel show it; to someone
    who does not manage rewards in its community, 404 like an unknown code (as those operations)."""
    redemption, _community = await redemptions.for_staff(user_id, code)
    return await _at_counter(redemption)


async def fulfil_at_counter(*, user_id: uuid.UUID, code: str) -> RedemptionRead:
    """``POST /api/v1/redemptions/{code}/fulfil``: the item handed over, answered as the API does."""
    return await _at_counter(await redemptions.fulfil_redemption(user_id=user_id, code=code))


async def cancel_at_counter(*, user_id: uuid.UUID, code: str) -> RedemptionRead:
    """``POST /api/v1/redemptions/{code}/cancel``: cancelled at the counter, the points refunded."""
    return await _at_counter(await redemptions.cancel_by_code(user_id=user_id, code=code))


@dataclass(frozen=True)
class CounterHandOver:
    id: uuid.UUID
    reward_name: dict[str, str]
    community_name: dict[str, str]
    redeemer: str | None  # masked; None for a closed account
    points: int
    fulfilled_at: datetime


async def counter_hand_overs(
    *, user_id: uuid.UUID, since: datetime, until: datetime, newest_first: bool = True, limit: int, offset: int
) -> tuple[list[CounterHandOver], int]:
    """Items handed over in [since, until) in the communities where the person manages rewards,
    and how many there were (one page of them)."""
    paths = await scope_paths(user_id=user_id, permission=Permission.manage_rewards)
    if not paths:
        return [], 0
    path = Redemption.reward._.community._.path  # typed joins: the community is named by a string
    within = path.like(f"{paths[0]}%")
    for other in paths[1:]:
        within = within | path.like(f"{other}%")
    where = (
        (Redemption.status == RedemptionStatus.fulfilled.value)
        # in UTC: SQLite compares the stored text, so both sides must share one offset
        & (Redemption.fulfilled_at >= since.astimezone(UTC))
        & (Redemption.fulfilled_at < until.astimezone(UTC))
        & within
    )
    total = await Redemption.count().where(where)
    rows = (
        await Redemption.select(
            Redemption.id,
            Redemption.user,
            Redemption.points,
            Redemption.fulfilled_at,
            Redemption.reward.name,
            Redemption.reward._.community._.name,
        )
        .where(where)
        .order_by(Redemption.fulfilled_at, ascending=not newest_first)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    named = await people(as_uuid(row["user"]) for row in rows)
    items = []
    for row in rows:
        found = named.get(as_uuid(row["user"]))
        items.append(
            CounterHandOver(
                id=as_uuid(row["id"]),
                reward_name=row["reward.name"] or {},
                community_name=row["reward.community.name"] or {},
                redeemer=mask_name(found.display_name) if found is not None and not found.deleted else None,
                points=row["points"],
                fulfilled_at=row["fulfilled_at"],
            )
        )
    return items, total


async def pickups_waiting(*, user_id: uuid.UUID) -> int:
    """The console's home card: items reserved and not yet collected in the communities where the
    person manages rewards (the counter's scope)."""
    paths = await scope_paths(user_id=user_id, permission=Permission.manage_rewards)
    if not paths:
        return 0
    path = Redemption.reward._.community._.path
    within = path.like(f"{paths[0]}%")
    for other in paths[1:]:
        within = within | path.like(f"{other}%")
    return int(await Redemption.count().where((Redemption.status == RedemptionStatus.reserved.value) & within))


async def reward_communities(*, user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities whose supermarket and point rules the person manages (``manage_rewards``
    there or above), for the console's choice of community; each change is checked again by its
    service."""
    found: dict[uuid.UUID, OrganisationRef] = {}
    for path in await scope_paths(user_id=user_id, permission=Permission.manage_rewards):
        for community in await organisations_under(path, kind=OrganisationKind.community):
            found[community.id] = community
    return list(found.values())


async def statistics_communities(*, user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities whose statistics the person may read (``view_statistics`` there or above),
    for the console's choice; each report checks the permission again."""
    found: dict[uuid.UUID, OrganisationRef] = {}
    for path in await scope_paths(user_id=user_id, permission=Permission.view_statistics):
        for community in await organisations_under(path, kind=OrganisationKind.community):
            found[community.id] = community
    return list(found.values())


# --- points for a say in self-governance (governance, downstream, calls these) -------------------


async def award_meeting_opinion(
    *, user_id: uuid.UUID, submission_id: uuid.UUID, community_id: uuid.UUID, meeting_title: dict[str, str]
) -> int:
    """Points for an opinion a convenor accepted (the community's ``meeting_opinion`` rule), once
    per submission; inside the caller's transaction."""
    return await _awards.award_for_a_say(
        user_id=user_id,
        kind=PointRuleKind.meeting_opinion,
        source_key=f"meeting_opinion:{submission_id}",
        community_id=community_id,
        reason_params={"meeting": meeting_title},
        expire_months=expire_months_setting(),
    )


async def award_survey_answer(
    *, user_id: uuid.UUID, survey_id: uuid.UUID, community_id: uuid.UUID, survey_title: dict[str, str]
) -> int:
    """Points for answering a survey, poll or evaluation (``survey_answer``), once per survey and
    person; what they chose is never known here. Inside the caller's transaction."""
    return await _awards.award_for_a_say(
        user_id=user_id,
        kind=PointRuleKind.survey_answer,
        source_key=f"survey_answer:{survey_id}:{user_id}",
        community_id=community_id,
        reason_params={"survey": survey_title},
        expire_months=expire_months_setting(),
    )
