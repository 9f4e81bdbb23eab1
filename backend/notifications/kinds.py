"""What each kind of notice may use: its template setting and how much it matters.

A promotion or a cancellation matters more than a reminder. Settings may point several kinds at
one template (one acceptance then serves any of them), so a low-priority kind only spends a
budget that has at least two messages left: the last one is kept for what matters most.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from backend.notifications.tables import NoticeKind
from backend.settings import Settings

Priority = Literal["high", "normal", "low"]

# The setting holding each sendable kind's template id; kinds not here live in the inbox only.
TEMPLATE_SETTINGS: Mapping[NoticeKind, str] = {
    NoticeKind.registration_confirmed: "wechat_template_registration",
    NoticeKind.registration_promoted: "wechat_template_promotion",
    NoticeKind.event_changed: "wechat_template_event_changed",
    NoticeKind.event_cancelled: "wechat_template_event_cancelled",
    NoticeKind.event_reminder: "wechat_template_event_reminder",
    NoticeKind.shift_reminder: "wechat_template_shift_reminder",
    NoticeKind.hours_verified: "wechat_template_hours_verified",
    NoticeKind.reward_ready: "wechat_template_reward_ready",
}

HIGH_PRIORITY = frozenset({NoticeKind.registration_promoted, NoticeKind.event_cancelled})
LOW_PRIORITY = frozenset({NoticeKind.event_reminder, NoticeKind.shift_reminder, NoticeKind.event_changed})


def priority(kind: NoticeKind) -> Priority:
    if kind in HIGH_PRIORITY:
        return "high"
    return "low" if kind in LOW_PRIORITY else "normal"


def template_for(kind: NoticeKind, settings: Settings) -> str:
    """The template id configured for ``kind``; empty: the notice goes to the inbox only."""
    setting = TEMPLATE_SETTINGS.get(kind)
    return str(getattr(settings, setting)).strip() if setting else ""


def configured_templates(settings: Settings) -> set[str]:
    return {template for kind in TEMPLATE_SETTINGS if (template := template_for(kind, settings))}


def spend_floor(kind: NoticeKind, settings: Settings) -> int:
    """The budget a message of ``kind`` needs before it may spend one: 2 for a low-priority kind
    whose template also carries promotions or cancellations, else 1."""
    template = template_for(kind, settings)
    if kind in LOW_PRIORITY and template and any(template_for(high, settings) == template for high in HIGH_PRIORITY):
        return 2
    return 1
