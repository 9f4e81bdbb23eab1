"""Sending one notice as a WeChat subscribe message: decided once, spent before it is sent.

The delivery job first claims the notice's outbound row (``queued`` → ``sending`` in one
conditional UPDATE), so a job run twice sends once. Then: no template, no WeChat openid or no
budget → the inbox only, with the reason recorded. Otherwise one message of budget is spent,
then the message sent. WeChat's answer decides the rest:

- 43101 (nothing left): the budget becomes zero; recorded as failed.
- 47003, 40037, 40003, 41030 and other refusals: recorded as failed, budget given back, not retried.
- busy, timeouts, 43108 (concurrent sends), a token error that survived the client's one
  refresh: budget given back, the row queued again, and the job raises to be retried later.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from backend.accounts.api import wechat_address
from backend.core import clock, metrics
from backend.core.i18n import DEFAULT_LOCALE, LOCALES
from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from backend.notifications import subscriptions, texts
from backend.notifications.kinds import spend_floor
from backend.notifications.layouts import message_data
from backend.notifications.tables import Notice, NoticeKind, OutboundMessage, OutboundStatus
from backend.settings import Settings

log = structlog.get_logger("linli.notifications")

SEND_PATH = "/cgi-bin/message/subscribe/send"
# Longer than a send with the client's retries takes; a job that died holding a row frees it.
CLAIM = timedelta(minutes=2)
# Worth another try later: WeChat busy with this user, or a token still refused after a refresh.
RETRYABLE_ERRCODES = frozenset({43108, 40001, 40014, 42001, 45009})
NO_BUDGET = 43101
# The language of WeChat's own words around a message ("进入小程序查看").
_WECHAT_LANG = {"zh-Hans": "zh_CN", "en": "en_US", "zh-Hant": "zh_HK"}
# Kinds about something that starts: once it has begun, their message is not worth a budget.
_TIMED_KINDS = frozenset(
    {
        NoticeKind.registration_confirmed,
        NoticeKind.registration_promoted,
        NoticeKind.event_changed,
        NoticeKind.event_reminder,
        NoticeKind.shift_reminder,
    }
)


class DeliveryDeferred(Exception):
    """WeChat could not take the message now; the job is retried."""


async def deliver_notice(
    *, notice_id: uuid.UUID, wechat: WechatClient, settings: Settings, now: datetime | None = None
) -> str:
    """Send the notice's subscribe message if it may go; returns the outbound status it ends in."""
    moment = now or clock.now()
    outbound = await _claim(notice_id, moment)
    if outbound is None:
        return "not_queued"
    notice = (
        await Notice.select(Notice.kind, Notice.params).where(Notice.id == notice_id).output(load_json=True).first()
    )
    person = await wechat_address(outbound["recipient"])
    if notice is None or person is None:
        return "not_queued"  # erased meanwhile (the row goes with the notice)
    kind, openid = NoticeKind(notice["kind"]), person.openid or ""
    if not outbound["template_id"]:
        return await _finish(outbound, OutboundStatus.skipped_no_template)
    if not openid or openid.startswith("dev:") or person.deleted:
        return await _finish(outbound, OutboundStatus.skipped_no_openid)
    if kind in _TIMED_KINDS and "starts_at" in notice["params"] and texts.moment(notice["params"]) <= moment:
        return await _finish(outbound, OutboundStatus.skipped_stale)
    user_id, template_id = outbound["recipient"], outbound["template_id"]
    locale = person.locale if person.locale in LOCALES else DEFAULT_LOCALE
    body = _message(openid, template_id, kind, notice["params"], locale, settings)  # before spending anything
    if not await subscriptions.spend(user_id=user_id, template_id=template_id, floor=spend_floor(kind, settings)):
        return await _finish(outbound, OutboundStatus.skipped_no_budget)
    return await _send(wechat, outbound, body)


def _message(
    openid: str, template_id: str, kind: NoticeKind, params: dict[str, Any], locale: str, settings: Settings
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": template_id,
        "page": settings.wechat_notice_page.lstrip("/"),
        "data": message_data(kind, params, locale),
    }
    if locale in _WECHAT_LANG:
        body["lang"] = _WECHAT_LANG[locale]
    return body


async def _send(wechat: WechatClient, outbound: dict[str, Any], body: dict[str, Any]) -> str:
    user_id, template_id = outbound["recipient"], outbound["template_id"]
    try:
        response = await wechat.post_with_token(SEND_PATH, body)
    except WechatError as refusal:
        if refusal.errcode == NO_BUDGET:
            await subscriptions.use_up(user_id=user_id, template_id=template_id)
            return await _finish(outbound, OutboundStatus.failed, refusal)
        await subscriptions.give_back(user_id=user_id, template_id=template_id)
        if refusal.errcode in RETRYABLE_ERRCODES:
            await _release(outbound, refusal.errcode, refusal.errmsg)
            raise DeliveryDeferred(f"WeChat errcode {refusal.errcode}") from refusal
        log.error(
            "subscribe_message_refused",
            notice_id=str(outbound["notice"]),
            errcode=refusal.errcode,
            errmsg=refusal.errmsg,
        )
        return await _finish(outbound, OutboundStatus.failed, refusal)
    except WechatUnavailable as away:
        await subscriptions.give_back(user_id=user_id, template_id=template_id)
        await _release(outbound, None, str(away))
        raise DeliveryDeferred(str(away)) from away
    msgid = str(_payload(response).get("msgid", ""))
    return await _finish(outbound, OutboundStatus.sent, msgid=msgid)


def _payload(response: Any) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


async def _claim(notice_id: uuid.UUID, now: datetime) -> dict[str, Any] | None:
    """Take the row for this job: queued, or held by a job whose claim ran out."""
    free = (OutboundMessage.status == OutboundStatus.queued.value) | (
        (OutboundMessage.status == OutboundStatus.sending.value) & (OutboundMessage.claimed_until < now)
    )
    rows = (
        await OutboundMessage.update(
            {
                OutboundMessage.status: OutboundStatus.sending.value,
                OutboundMessage.claimed_until: now + CLAIM,
                OutboundMessage.attempts: OutboundMessage.attempts + 1,
                OutboundMessage.updated_at: now,
            }
        )
        .where((OutboundMessage.notice == notice_id) & free)
        .returning(OutboundMessage.id, OutboundMessage.notice, OutboundMessage.recipient, OutboundMessage.template_id)
    )
    return rows[0] if rows else None


async def _finish(
    outbound: dict[str, Any], status: OutboundStatus, refusal: WechatError | None = None, *, msgid: str = ""
) -> str:
    now = clock.now()
    await OutboundMessage.update(
        {
            OutboundMessage.status: status.value,
            OutboundMessage.claimed_until: None,
            OutboundMessage.errcode: refusal.errcode if refusal else None,
            OutboundMessage.errmsg: (refusal.errmsg if refusal else "")[:255],
            OutboundMessage.msgid: msgid[:64],
            OutboundMessage.sent_at: now if status is OutboundStatus.sent else None,
            OutboundMessage.updated_at: now,
        }
    ).where(OutboundMessage.id == outbound["id"])
    metrics.NOTICES.labels(status=status.value).inc()
    return status.value


async def _release(outbound: dict[str, Any], errcode: int | None, errmsg: str) -> None:
    """Back in the queue for the job's next attempt, with what went wrong this time."""
    await OutboundMessage.update(
        {
            OutboundMessage.status: OutboundStatus.queued.value,
            OutboundMessage.claimed_until: None,
            OutboundMessage.errcode: errcode,
            OutboundMessage.errmsg: errmsg[:255],
            OutboundMessage.updated_at: clock.now(),
        }
    ).where(OutboundMessage.id == outbound["id"])
