"""Earning rules: city-wide defaults in code, overridden city-wide or per community by PointRule rows.

Which rule applies to a kind in a community: the community's own row if it has one, else the
city-wide row (community null), else the default below. An inactive row switches the kind off
at its level.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts.api import OrganisationKind, Permission, lock_organisation, organisation, require
from backend.core import audit, clock
from backend.core.db import transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.inclusion.points.schemas import PointRuleWrite, RuleSource
from backend.inclusion.points.tables import PointRule, PointRuleKind


@dataclass(frozen=True)
class Rule:
    kind: PointRuleKind
    points: int
    daily_cap: int | None = None
    per_activity_cap: int | None = None
    active: bool = True
    source: RuleSource = "default"

    @property
    def awards(self) -> int:
        """Points per unit, 0 when the rule is switched off."""
        return self.points if self.active else 0


DEFAULT_RULES: Mapping[PointRuleKind, Rule] = {
    PointRuleKind.attendance: Rule(PointRuleKind.attendance, 10, daily_cap=30),
    PointRuleKind.first_event: Rule(PointRuleKind.first_event, 20),
    PointRuleKind.first_event_after_arrival: Rule(PointRuleKind.first_event_after_arrival, 30),
    PointRuleKind.volunteer_hour: Rule(PointRuleKind.volunteer_hour, 5, daily_cap=40),
    PointRuleKind.youth_bonus: Rule(PointRuleKind.youth_bonus, 5, daily_cap=15),
    PointRuleKind.brought_neighbour: Rule(PointRuleKind.brought_neighbour, 10, daily_cap=30, per_activity_cap=30),
    # Self-governance (governance): a say counts, within reason — at most three a day of each.
    PointRuleKind.meeting_opinion: Rule(PointRuleKind.meeting_opinion, 5, daily_cap=15),
    PointRuleKind.survey_answer: Rule(PointRuleKind.survey_answer, 5, daily_cap=15),
}


def _rule(row: Mapping[str, Any], source: RuleSource) -> Rule:
    return Rule(
        kind=PointRuleKind(row["kind"]),
        points=row["points"],
        daily_cap=row["daily_cap"],
        per_activity_cap=row["per_activity_cap"],
        active=row["active"],
        source=source,
    )


async def rules_for(community_id: uuid.UUID | None) -> dict[PointRuleKind, Rule]:
    """Every kind's rule as it applies in this community (None: the city-wide rules)."""
    level: Combinable = PointRule.community.is_null()
    if community_id is not None:
        level = level | (PointRule.community == community_id)
    rows = await PointRule.select().where(level)
    rules = dict(DEFAULT_RULES)
    for row in sorted(rows, key=lambda r: r["community"] is not None):  # the community's rows win
        rules[PointRuleKind(row["kind"])] = _rule(row, "city" if row["community"] is None else "community")
    return rules


async def _rule_level(organisation_id: uuid.UUID) -> uuid.UUID | None:
    """The community whose rules these are; None for the city, whose rows apply everywhere."""
    found = await organisation(organisation_id)
    if found is None or found.kind not in (OrganisationKind.community.value, OrganisationKind.city.value):
        raise NotFound("community_not_found", N_("This community does not exist."))
    return organisation_id if found.kind == OrganisationKind.community.value else None


async def community_rules(*, community_id: uuid.UUID) -> dict[PointRuleKind, Rule]:
    """The rules residents of a community earn by (public: everyone may know them)."""
    return await rules_for(await _rule_level(community_id))


async def replace_rules(
    *, user_id: uuid.UUID, community_id: uuid.UUID, rules: list[PointRuleWrite]
) -> dict[PointRuleKind, Rule]:
    """Set a community's own rules (the city's, for the city): staff who manage rewards there.
    A kind left out follows the level above again."""
    level = await _rule_level(community_id)
    await require(user_id=user_id, permission=Permission.manage_rewards, organisation_id=community_id)
    kinds = [rule.kind for rule in rules]
    if len(set(kinds)) != len(kinds):
        raise DomainError("duplicate_rule_kind", N_("Each kind of rule can appear only once."), status=422)
    engine = PointRule._meta.db
    async with transaction(engine):
        # Two admins saving at once: one after the other, so the unique indexes never see both.
        await lock_organisation(community_id)
        here = PointRule.community.is_null() if level is None else PointRule.community == level
        before = {row["kind"]: _shown(row) for row in await PointRule.select().where(here)}
        await PointRule.delete().where(here)
        for rule in rules:
            await PointRule.insert(
                PointRule(
                    community=level,
                    kind=rule.kind,
                    points=rule.points,
                    daily_cap=rule.daily_cap,
                    per_activity_cap=rule.per_activity_cap,
                    active=rule.active,
                    updated_at=clock.now(),
                )
            )
        await audit.record(
            "inclusion.point_rules_replaced",
            object_type="point_rules",
            object_id=community_id,
            organisation_id=community_id,
            permission=Permission.manage_rewards.value,
            before=before,
            after={rule.kind: _shown(msgspec.structs.asdict(rule)) for rule in rules},
        )
    return await rules_for(level)


def _shown(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as its audit entry shows it."""
    return {name: rule[name] for name in ("points", "daily_cap", "per_activity_cap", "active")}
