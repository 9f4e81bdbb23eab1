"""HTTP for notifications: the caller's inbox and the subscribe messages they allowed."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.notifications import inbox, presenters, subscriptions
from backend.notifications.schemas import (
    MarkedRead,
    NoticePage,
    NoticeRead,
    SubscriptionResults,
    SubscriptionsRead,
)
from backend.settings import Settings


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
        caller: Principal,
        unread_only: Annotated[bool, Parameter(description="only what the caller has not read yet")] = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=10_000)] = 0,
    ) -> NoticePage:
        rows = await inbox.list_notices(user_id=caller.id, unread_only=unread_only, limit=limit, offset=offset)
        unread = await inbox.unread_count(user_id=caller.id)
        return presenters.notice_page(rows, unread_count=unread, limit=limit, offset=offset)

    @post(
        "/notifications/{notice_id:uuid}/read",
        operation_id="read_notification",
        summary="Mark one of the caller's notifications read",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def read(self, caller: Principal, notice_id: uuid.UUID) -> NoticeRead:
        return presenters.notice_read(await inbox.mark_read(user_id=caller.id, notice_id=notice_id))

    @post(
        "/notifications/read-all",
        operation_id="read_all_notifications",
        summary="Mark all of the caller's notifications read",
        status_code=HTTP_200_OK,
        responses=problems(401),
    )
    async def read_all(self, caller: Principal) -> MarkedRead:
        return MarkedRead(marked=await inbox.mark_all_read(user_id=caller.id), unread_count=0)

    @get(
        "/subscriptions",
        operation_id="my_subscriptions",
        summary="Per kind of notice: its WeChat template and the messages the caller allowed",
        responses=problems(401),
    )
    async def list_subscriptions(self, caller: Principal, settings: NamedDependency[Settings]) -> SubscriptionsRead:
        return presenters.subscriptions_read(await subscriptions.my_subscriptions(user_id=caller.id, settings=settings))

    @post(
        "/subscriptions",
        operation_id="record_subscriptions",
        summary="Report what wx.requestSubscribeMessage answered: each accept allows one message of that template",
        status_code=HTTP_200_OK,
        responses=problems(401, 422),
    )
    async def record(
        self, caller: Principal, data: JSONBody[SubscriptionResults], settings: NamedDependency[Settings]
    ) -> SubscriptionsRead:
        await subscriptions.record_subscription_results(user_id=caller.id, results=data.results, settings=settings)
        return presenters.subscriptions_read(await subscriptions.my_subscriptions(user_id=caller.id, settings=settings))


CONTROLLERS: list[ControllerRouterHandler] = [NotificationController]
