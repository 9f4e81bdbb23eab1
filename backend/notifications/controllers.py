"""HTTP for notifications: the caller's inbox and the subscribe messages they allowed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK
from litestar.types import ControllerRouterHandler

from backend.core.auth import principal_of, requires_login
from backend.core.openapi import problems
from backend.notifications import inbox, subscriptions
from backend.notifications.kinds import configured_templates
from backend.notifications.presenters import notice_read
from backend.notifications.schemas import (
    MarkedRead,
    NoticePage,
    NoticeRead,
    SubscriptionKindRead,
    SubscriptionResults,
    SubscriptionsRead,
)
from backend.settings import Settings


async def _subscriptions_read(user_id: uuid.UUID, settings: Settings) -> SubscriptionsRead:
    kinds = await subscriptions.my_subscriptions(user_id=user_id, settings=settings)
    return SubscriptionsRead(
        template_ids=sorted(configured_templates(settings)), kinds=[SubscriptionKindRead(**kind) for kind in kinds]
    )


class NotificationController(Controller):
    path = "/api/v1/me"
    tags = ["notifications"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        "/notifications",
        operation_id="my_notifications",
        summary="The caller's inbox, newest first, in their language",
        responses=problems(401, 422),
    )
    async def list_notifications(
        self,
        request: Request[Any, Any, Any],
        unread_only: Annotated[bool, Parameter(description="only what the caller has not read yet")] = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=10_000)] = 0,
    ) -> NoticePage:
        user_id = principal_of(request).id
        rows = await inbox.list_notices(user_id=user_id, unread_only=unread_only, limit=limit, offset=offset)
        unread = await inbox.unread_count(user_id=user_id)
        return NoticePage(items=[notice_read(row) for row in rows], unread_count=unread, limit=limit, offset=offset)

    @post(
        "/notifications/{notice_id:uuid}/read",
        operation_id="read_notification",
        summary="Mark one of the caller's notifications read",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def read(self, request: Request[Any, Any, Any], notice_id: uuid.UUID) -> NoticeRead:
        return notice_read(await inbox.mark_read(user_id=principal_of(request).id, notice_id=notice_id))

    @post(
        "/notifications/read-all",
        operation_id="read_all_notifications",
        summary="Mark all of the caller's notifications read",
        status_code=HTTP_200_OK,
        responses=problems(401),
    )
    async def read_all(self, request: Request[Any, Any, Any]) -> MarkedRead:
        marked = await inbox.mark_all_read(user_id=principal_of(request).id)
        return MarkedRead(marked=marked, unread_count=0)

    @get(
        "/subscriptions",
        operation_id="my_subscriptions",
        summary="Per kind of notice: its WeChat template and the messages the caller allowed",
        responses=problems(401),
    )
    async def list_subscriptions(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> SubscriptionsRead:
        return await _subscriptions_read(principal_of(request).id, settings)

    @post(
        "/subscriptions",
        operation_id="record_subscriptions",
        summary="Report what wx.requestSubscribeMessage answered: each accept allows one message of that template",
        status_code=HTTP_200_OK,
        responses=problems(401, 422),
    )
    async def record(
        self, request: Request[Any, Any, Any], data: JSONBody[SubscriptionResults], settings: NamedDependency[Settings]
    ) -> SubscriptionsRead:
        user_id = principal_of(request).id
        await subscriptions.record_subscription_results(user_id=user_id, results=data.results, settings=settings)
        return await _subscriptions_read(user_id, settings)


CONTROLLERS: list[ControllerRouterHandler] = [NotificationController]
