"""The notifications domain's part of a person's export and erasure (its manifest's ``PrivacyPart``): their inbox,
the messages sent to them and their subscription budgets; erasure deletes all three."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import privacy
from backend.core.db import transaction
from backend.notifications.tables import Notice, OutboundMessage, SubscriptionBudget


async def export_notifications(user_id: uuid.UUID) -> dict[str, Any]:
    return {
        "inbox": await Notice.select(Notice.id, Notice.kind, Notice.params, Notice.created_at, Notice.read_at)
        .where(Notice.recipient == user_id)
        .order_by(Notice.created_at)
        .output(load_json=True),
        "messages": await OutboundMessage.select(
            OutboundMessage.notice,
            OutboundMessage.kind,
            OutboundMessage.status,
            OutboundMessage.errcode,
            OutboundMessage.created_at,
            OutboundMessage.sent_at,
        )
        .where(OutboundMessage.recipient == user_id)
        .order_by(OutboundMessage.created_at),
        "subscriptions": await SubscriptionBudget.select(
            SubscriptionBudget.template_id,
            SubscriptionBudget.remaining,
            SubscriptionBudget.accepted_total,
            SubscriptionBudget.updated_at,
        ).where(SubscriptionBudget.user == user_id),
    }


async def erase_notifications(erasure: privacy.Erasure) -> None:
    async with transaction(Notice._meta.db):
        await OutboundMessage.delete().where(OutboundMessage.recipient == erasure.user_id)
        await Notice.delete().where(Notice.recipient == erasure.user_id)
        await SubscriptionBudget.delete().where(SubscriptionBudget.user == erasure.user_id)
