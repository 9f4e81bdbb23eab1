"""An event's public page (``/events/{id}``), the share link's landing page (``/s/{code}``), and
"open in the mini-program": a WeChat URL Link made for the one visitor who asks."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.core.stores import Stores, rate_limit
from backend.core.wechat import WechatClient
from backend.events.api import event_page, share_link
from backend.settings import Settings
from backend.web.public.edge import NO_STORE, page
from backend.web.public.openlink import open_link
from backend.web.public.views import event_view, path_id, share_code_of

NO_EVENT = NotFound("event_not_found", N_("This event does not exist."))
OPEN_RATE = rate_limit("urllink", setting="urllink_rate_limit")


class EventPageController(Controller):
    include_in_schema = False

    @get("/events/{event_id:str}", name="public_event")
    async def event(
        self, event_id: str, settings: NamedDependency[Settings], wechat: NamedDependency[WechatClient]
    ) -> Template:
        shown = await event_page(path_id(event_id, NO_EVENT), None)
        return page(
            "public/event.html",
            view=event_view(shown, settings.public_base_url),
            share_code=None,
            wechat=wechat.configured,
        )

    @get("/s/{code:str}", name="public_share")
    async def shared(
        self, code: str, settings: NamedDependency[Settings], wechat: NamedDependency[WechatClient]
    ) -> Template:
        """The event itself, under the share link's address: the code goes on to the mini-program
        (it credits the sharer at sign-up, as the API does); nothing is recorded on a visit."""
        found = await share_link(code)
        shown = await event_page(found.event_id, None)
        view = event_view(shown, settings.public_base_url)
        return page("public/event.html", view=view, share_code=found.share_code, wechat=wechat.configured)

    @post("/events/{event_id:str}/open", name="public_open", guards=[OPEN_RATE], status_code=200)
    async def open_in_wechat(
        self,
        request: Request[Any, Any, Any],
        event_id: str,
        settings: NamedDependency[Settings],
        wechat: NamedDependency[WechatClient],
        stores: NamedDependency[Stores],
        share: str | None = None,
    ) -> Template:
        """This visitor's own link (never cached): a fragment for htmx, else a page of its own."""
        shown = await event_page(path_id(event_id, NO_EVENT), None)
        link = await open_link(
            event_id=shown.event.id, share_code=share_code_of(share), wechat=wechat, stores=stores, settings=settings
        )
        template = "public/_open.html" if request.headers.get("hx-request") == "true" else "public/open.html"
        return page(template, cache=NO_STORE, view=event_view(shown, settings.public_base_url), link=link)
