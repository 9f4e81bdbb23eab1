"""Residents' submissions before a meeting: an opinion or question on an agenda item.

The rules: only residents who say they live in one of the audience's estates; until the meeting
begins; at most ``PER_ITEM`` per resident and item (counted while the person's row is held, so two
requests at once cannot both be the fourth); text WeChat calls risky is refused and nothing is
stored. Every submission waits for a convenor, who accepts it (it is then shown on the meeting and
the board, without its author's name unless they chose to be named) or declines it with a reason.
"""

from __future__ import annotations

import uuid

import structlog

from backend.accounts.api import lock_person, wechat_address
from backend.core import clock, signals
from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from backend.governance.meetings import access, errors, queries, trail
from backend.governance.meetings.schemas import SubmissionCreate
from backend.governance.meetings.tables import AgendaItem, MeetingStatus, Submission, SubmissionStatus
from backend.inclusion.api import award_meeting_opinion
from backend.places.api import residence_of

PER_ITEM = 3
log = structlog.get_logger("linli.governance")


def _clean(text: str) -> str:
    text = text.strip()
    if not text or not all(ch.isprintable() or ch in "\n\t" for ch in text):
        raise errors.submission_text_invalid()
    return text


async def _check_text(wechat: WechatClient | None, user_id: uuid.UUID, text: str) -> None:
    """WeChat's text check when configured: "risky" is refused. Whatever else it says (or when it
    is away), the text still waits for a convenor, who reads every submission before it is shown."""
    if wechat is None or not wechat.configured:
        return
    address = await wechat_address(user_id)
    openid = address.openid if address else None
    if not openid or openid.startswith("dev:"):
        return
    try:
        suggest = await wechat.msg_sec_check(openid=openid, content=text)
    except (WechatError, WechatUnavailable) as error:
        log.warning("governance.text_check_failed", error=str(error))
        return
    if suggest == "risky":
        raise errors.text_refused()


async def submit(
    *, user_id: uuid.UUID, meeting_id: uuid.UUID, data: SubmissionCreate, wechat: WechatClient | None
) -> uuid.UUID:
    """A resident of the audience writes on an agenda item, before the meeting begins."""
    meeting = await queries.public_meeting(meeting_id, user_id=user_id)
    if meeting["status"] != MeetingStatus.open.value or meeting["starts_at"] <= clock.now():
        raise errors.submissions_closed()
    if not await AgendaItem.exists().where((AgendaItem.id == data.item_id) & (AgendaItem.meeting == meeting_id)):
        raise errors.item_not_in_meeting()
    home = await residence_of(user_id)
    if home is None or str(home.estate_id) not in meeting["estate_ids"]:
        raise errors.not_in_audience()
    text = _clean(data.text)
    await _check_text(wechat, user_id, text)
    async with signals.atomic():
        await lock_person(user_id)
        sent = await Submission.count().where((Submission.user == user_id) & (Submission.item == data.item_id))
        if sent >= PER_ITEM:
            raise errors.submission_limit(PER_ITEM)
        row = Submission(
            meeting=meeting_id,
            item=data.item_id,
            user=user_id,
            text=text,
            named=data.named,
            estate=home.estate_id,
            estate_kind=home.estate_kind,
            status=SubmissionStatus.pending.value,
            created_at=clock.now(),
        )
        await row.save()
    return uuid.UUID(str(row.id))


async def decide(*, user_id: uuid.UUID, submission_id: uuid.UUID, status: str, reason: str) -> None:
    """A convenor accepts a pending submission or declines it with a reason; once."""
    found = await queries.submission_row(submission_id)
    if not await access.is_convenor(user_id, found["community"]):
        raise errors.submission_not_found()
    reason = reason.strip()
    if status == SubmissionStatus.declined.value and not reason:
        raise errors.reason_required()
    async with signals.atomic():
        decided = await (
            Submission.update(
                {
                    Submission.status: status,
                    Submission.reason: reason,
                    Submission.decided_by: user_id,
                    Submission.decided_at: clock.now(),
                }
            )
            .where((Submission.id == submission_id) & (Submission.status == SubmissionStatus.pending.value))
            .returning(Submission.id)
        )
        if not decided:
            raise errors.already_decided()
        await trail.record(
            f"submission_{status}",
            organisation_id=found["community"],
            object_type="submission",
            object_id=submission_id,
            before={"status": SubmissionStatus.pending.value},
            after={"status": status, "reason": reason},
        )
        if status == SubmissionStatus.accepted.value and found["user"] is not None:
            # A say that was heard earns the community's ``meeting_opinion`` points, in this transaction.
            await award_meeting_opinion(
                user_id=uuid.UUID(str(found["user"])),
                submission_id=submission_id,
                community_id=uuid.UUID(str(found["community"])),
                meeting_title=await queries.meeting_title(uuid.UUID(str(found["meeting"]))),
            )
