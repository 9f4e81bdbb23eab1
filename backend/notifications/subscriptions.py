"""Subscribe-message budgets: one message per acceptance, spent deliberately.

No WeChat API tells how many one-time subscriptions a person has left, so Linli counts them:
the mini-program reports what wx.requestSubscribeMessage answered, each "accept" adds one to
that (person, template) budget, and every message spends one before it is sent, by a
conditional UPDATE (``remaining >= floor``) that two racing jobs cannot both pass on the last
one. WeChat's 43101 (nothing left) sets the budget to zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from backend.core import clock
from backend.core.db import transaction
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.notifications.kinds import TEMPLATE_SETTINGS, Priority, configured_templates, priority, template_for
from backend.notifications.tables import NoticeKind, SubscriptionBudget
from backend.settings import Settings


async def record_subscription_results(*, user_id: uuid.UUID, results: Mapping[str, str], settings: Settings) -> None:
    """What the person answered per template: "accept" adds one message, "ban" (they turned the
    template off in WeChat) leaves none; "reject" and "filter" change nothing."""
    known = configured_templates(settings)
    unknown = sorted(template for template in results if template not in known)
    if unknown:
        raise DomainError(
            "unknown_template",
            N_("This app does not send the message template {template_id}."),
            params={"template_id": unknown[0]},
            status=422,
        )
    now = clock.now()
    async with transaction(SubscriptionBudget._meta.db):
        for template_id, answer in results.items():
            if answer == "accept":
                await _add(user_id, template_id, now)
            elif answer == "ban":
                await SubscriptionBudget.update(
                    {SubscriptionBudget.remaining: 0, SubscriptionBudget.updated_at: now}
                ).where((SubscriptionBudget.user == user_id) & (SubscriptionBudget.template_id == template_id))


async def _add(user_id: uuid.UUID, template_id: str, now: datetime) -> None:
    await SubscriptionBudget.insert(
        SubscriptionBudget(user=user_id, template_id=template_id, remaining=0, accepted_total=0, updated_at=now)
    ).on_conflict(target=(SubscriptionBudget.user, SubscriptionBudget.template_id), action="DO NOTHING")
    await SubscriptionBudget.update(
        {
            SubscriptionBudget.remaining: SubscriptionBudget.remaining + 1,
            SubscriptionBudget.accepted_total: SubscriptionBudget.accepted_total + 1,
            SubscriptionBudget.updated_at: now,
        }
    ).where((SubscriptionBudget.user == user_id) & (SubscriptionBudget.template_id == template_id))


async def budgets(*, user_id: uuid.UUID) -> dict[str, int]:
    rows = await SubscriptionBudget.select(SubscriptionBudget.template_id, SubscriptionBudget.remaining).where(
        SubscriptionBudget.user == user_id
    )
    return {row["template_id"]: row["remaining"] for row in rows}


@dataclass(frozen=True)
class KindBudget:
    """A kind of notice that can be a WeChat message: its template (None: the inbox only) and
    how many messages of that template the person has left."""

    kind: NoticeKind
    template_id: str | None
    remaining: int
    priority: Priority


@dataclass(frozen=True)
class Subscriptions:
    template_ids: list[str]  # every template this app sends, for the mini-program to ask about
    kinds: list[KindBudget]


async def my_subscriptions(*, user_id: uuid.UUID, settings: Settings) -> Subscriptions:
    """Per kind of notice that can be a WeChat message: its template and the messages left."""
    left = await budgets(user_id=user_id)
    kinds = []
    for kind in TEMPLATE_SETTINGS:
        template = template_for(kind, settings)
        kinds.append(KindBudget(kind, template or None, left.get(template, 0) if template else 0, priority(kind)))
    return Subscriptions(template_ids=sorted(configured_templates(settings)), kinds=kinds)


async def spend(*, user_id: uuid.UUID, template_id: str, floor: int = 1) -> bool:
    """Take one message of budget if at least ``floor`` are left; False if not."""
    rows = (
        await SubscriptionBudget.update(
            {SubscriptionBudget.remaining: SubscriptionBudget.remaining - 1, SubscriptionBudget.updated_at: clock.now()}
        )
        .where(
            (SubscriptionBudget.user == user_id)
            & (SubscriptionBudget.template_id == template_id)
            & (SubscriptionBudget.remaining >= max(1, floor))
        )
        .returning(SubscriptionBudget.id)
    )
    return bool(rows)


async def give_back(*, user_id: uuid.UUID, template_id: str) -> None:
    """Return a message that was spent but never reached WeChat's user."""
    await SubscriptionBudget.update(
        {SubscriptionBudget.remaining: SubscriptionBudget.remaining + 1, SubscriptionBudget.updated_at: clock.now()}
    ).where((SubscriptionBudget.user == user_id) & (SubscriptionBudget.template_id == template_id))


async def use_up(*, user_id: uuid.UUID, template_id: str) -> None:
    """WeChat says nothing is left (43101): believe it."""
    await SubscriptionBudget.update(
        {SubscriptionBudget.remaining: 0, SubscriptionBudget.updated_at: clock.now()}
    ).where((SubscriptionBudget.user == user_id) & (SubscriptionBudget.template_id == template_id))
