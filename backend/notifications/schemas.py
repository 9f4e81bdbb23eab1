"""Request and response bodies of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

NoticeKindCode = Literal[
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "event_changed",
    "event_cancelled",
    "event_reminder",
    "shift_reminder",
    "shift_cancelled",
    "hours_verified",
    "reward_ready",
    "incident_changed",
    "minutes_published",
    "action_changed",
]
SubscribeAnswer = Literal["accept", "reject", "ban", "filter"]
TemplateId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class NoticeRead(msgspec.Struct):
    """One inbox entry, worded in the reader's language."""

    id: uuid.UUID
    kind: NoticeKindCode
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    event_id: uuid.UUID | None = None
    registration_id: uuid.UUID | None = None
    shift_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    redemption_id: uuid.UUID | None = None
    meeting_id: uuid.UUID | None = None
    action_id: uuid.UUID | None = None


class NoticePage(msgspec.Struct):
    items: list[NoticeRead]
    unread_count: int
    limit: int
    offset: int


class MarkedRead(msgspec.Struct):
    marked: int
    unread_count: int


class SubscriptionResults(msgspec.Struct, forbid_unknown_fields=True):
    """What wx.requestSubscribeMessage answered, per template id."""

    results: Annotated[
        dict[TemplateId, SubscribeAnswer],
        msgspec.Meta(
            max_length=20,
            description='each "accept" allows one more message of that template; "ban" means none until accepted again',
            examples=[
                {
                    "Xq3bT0n6lW2cQeZk8aSgY1rPm4uHfD9vJ7oNiE5tBxc": "accept",
                    "K8pR2mW7tYxq0bV4nC6hJ1sLzD3gF9aEoUiQ5yTeMrk": "reject",
                }
            ],
        ),
    ]


class SubscriptionKindRead(msgspec.Struct):
    kind: NoticeKindCode
    template_id: str | None
    remaining: int
    priority: Literal["high", "normal", "low"]


class SubscriptionsRead(msgspec.Struct):
    """Per kind of notice: the template to ask the resident for, and the messages they allowed."""

    template_ids: list[str]
    kinds: list[SubscriptionKindRead]
