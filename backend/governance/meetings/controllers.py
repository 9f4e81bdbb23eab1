"""HTTP for governance meetings: convening and announcing (community staff), residents'
submissions and their moderation, the minutes with decisions and actions, action updates by the
owners' staff, and the public board (居务公开) of a community, which anyone may read."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core import clock
from backend.core.auth import requires_login
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.core.wechat import WechatClient
from backend.governance.meetings import board, presenters, queries, services, submissions
from backend.governance.meetings.schemas import (
    ActionRead,
    ActionToActOn,
    ActionUpdateIn,
    BoardRead,
    MeetingCreate,
    MeetingListItem,
    MeetingRead,
    MinutesCreate,
    SubmissionCreate,
    SubmissionDecide,
    SubmissionRead,
    SubmissionStatusCode,
)

LOGIN: dict[str, Any] = {"guards": [requires_login], "security": [{"bearer": []}]}


async def _meeting(meeting_id: uuid.UUID, user_id: uuid.UUID | None) -> MeetingRead:
    row = await queries.public_meeting(meeting_id, user_id=user_id)
    return presenters.meeting((await queries.details([row]))[0])


async def _submission(submission_id: uuid.UUID) -> SubmissionRead:
    row = await queries.submission_row(submission_id)
    names = await queries.display_names([row["user"]])
    return presenters.submissions_masked([row], names)[0]


async def _action(action_id: uuid.UUID, user_id: uuid.UUID | None) -> ActionRead:
    row = await queries.action_row(action_id)
    detail = (await queries.details([await queries.public_meeting(row["meeting"], user_id=user_id)]))[0]
    return presenters.action(row, detail.updates.get(row["id"], []), detail.organisations, clock.city_today())


class MeetingController(Controller):
    path = "/api/v1/meetings"
    tags = ["meetings"]

    @get(operation_id="list_meetings", summary="A community's meetings (drafts only for its convenors)")
    async def list_meetings(self, visitor: Principal | None, community_id: uuid.UUID) -> list[MeetingListItem]:
        rows = await queries.meetings_of(community_id, user_id=visitor.id if visitor else None)
        return [presenters.list_item(row) for row in rows]

    @post(
        operation_id="convene_meeting",
        summary="Convene a meeting (民情恳谈会, 民意听证会, 民事协调会, 民主评议会, 联席会议) with its event, as a draft",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def convene(
        self, caller: Principal, data: JSONBody[MeetingCreate], cache: NamedDependency[VersionedCache]
    ) -> MeetingRead:
        meeting_id = await services.convene_meeting(user_id=caller.id, data=data, cache=cache)
        return await _meeting(meeting_id, caller.id)

    @get(
        "/{meeting_id:uuid}",
        operation_id="get_meeting",
        summary="A meeting with its agenda, accepted opinions, minutes and decisions",
        responses=problems(404),
    )
    async def get_meeting(self, visitor: Principal | None, meeting_id: uuid.UUID) -> MeetingRead:
        return await _meeting(meeting_id, visitor.id if visitor else None)

    @post(
        "/{meeting_id:uuid}/announce",
        operation_id="announce_meeting",
        summary="Announce the meeting: its event is published and residents may send opinions",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def announce(
        self, caller: Principal, meeting_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> MeetingRead:
        await services.announce_meeting(user_id=caller.id, meeting_id=meeting_id, cache=cache)
        return await _meeting(meeting_id, caller.id)

    @post(
        "/{meeting_id:uuid}/submissions",
        operation_id="submit_opinion",
        summary="Send an opinion or question on an agenda item (residents of the audience, before it begins)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def submit(
        self,
        caller: Principal,
        meeting_id: uuid.UUID,
        data: JSONBody[SubmissionCreate],
        wechat: NamedDependency[WechatClient],
    ) -> SubmissionRead:
        submission_id = await submissions.submit(user_id=caller.id, meeting_id=meeting_id, data=data, wechat=wechat)
        row = await queries.submission_row(submission_id)
        return presenters.submission(row, author=None)

    @get(
        "/{meeting_id:uuid}/submissions",
        operation_id="list_submissions",
        summary="Every submission to moderate (convenors; authors masked)",
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def list_submissions(
        self, caller: Principal, meeting_id: uuid.UUID, status: SubmissionStatusCode | None = None
    ) -> list[SubmissionRead]:
        rows = await queries.submissions_for_convenor(user_id=caller.id, meeting_id=meeting_id, status=status)
        return presenters.submissions_masked(rows, await queries.display_names(r["user"] for r in rows))

    @get(
        "/{meeting_id:uuid}/submissions/mine",
        operation_id="list_my_submissions",
        summary="My submissions to this meeting, with their status and any reason",
        responses=problems(401, 404),
        **LOGIN,
    )
    async def mine(self, caller: Principal, meeting_id: uuid.UUID) -> list[SubmissionRead]:
        rows = await queries.own_submissions(user_id=caller.id, meeting_id=meeting_id)
        return [presenters.submission(row, author=None) for row in rows]

    @post(
        "/{meeting_id:uuid}/minutes",
        operation_id="publish_minutes",
        summary="Publish the minutes with the decisions taken and their follow-up actions (once it has begun)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def minutes(self, caller: Principal, meeting_id: uuid.UUID, data: JSONBody[MinutesCreate]) -> MeetingRead:
        await services.publish_minutes(user_id=caller.id, meeting_id=meeting_id, data=data)
        return await _meeting(meeting_id, caller.id)


class SubmissionController(Controller):
    path = "/api/v1/meeting-submissions"
    tags = ["meetings"]

    @patch(
        "/{submission_id:uuid}",
        operation_id="moderate_submission",
        summary="Accept a submission (shown publicly) or decline it with a reason (convenors)",
        responses=problems(401, 404, 409, 422),
        **LOGIN,
    )
    async def moderate(
        self, caller: Principal, submission_id: uuid.UUID, data: JSONBody[SubmissionDecide]
    ) -> SubmissionRead:
        await submissions.decide(user_id=caller.id, submission_id=submission_id, status=data.status, reason=data.reason)
        return await _submission(submission_id)


class ActionController(Controller):
    path = "/api/v1/meeting-actions"
    tags = ["meetings"]

    @get(
        operation_id="list_my_meeting_actions",
        summary="Open actions my organisations must act on (a party's staff), soonest due first",
        responses=problems(401),
        **LOGIN,
    )
    async def mine(self, caller: Principal) -> list[ActionToActOn]:
        rows = await queries.actions_to_act_on(caller.id)
        orgs = await queries.organisations_of(rows)
        return presenters.actions_to_act_on(rows, orgs, clock.city_today())

    @post(
        "/{action_id:uuid}/updates",
        operation_id="update_meeting_action",
        summary="A dated update of a follow-up action: its status and a note (the owner's staff, convenors)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 404, 409, 422),
        **LOGIN,
    )
    async def update(self, caller: Principal, action_id: uuid.UUID, data: JSONBody[ActionUpdateIn]) -> ActionRead:
        await services.update_action(user_id=caller.id, action_id=action_id, status=data.status, note=data.note)
        return await _action(action_id, caller.id)


class BoardController(Controller):
    path = "/api/v1/communities"
    tags = ["meetings"]

    @get(
        "/{community_id:uuid}/board",
        operation_id="community_board",
        summary="居务公开: what was decided, by whom, what has been done since and what is overdue",
        responses=problems(404, 422),
    )
    async def board(self, community_id: uuid.UUID) -> BoardRead:
        return await board.community_board(community_id)


CONTROLLERS: tuple[Any, ...] = (MeetingController, SubmissionController, ActionController, BoardController)
