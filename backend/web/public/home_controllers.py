"""The public home page: upcoming events one can still join, and the library branches."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, get
from litestar.response import Template

from backend.core import clock
from backend.events.api import event_list_items, open_upcoming
from backend.libraries.api import branches
from backend.web.public.edge import page

UPCOMING = 12
HORIZON = timedelta(days=60)


class HomePageController(Controller):
    include_in_schema = False

    @get("/", name="public_home")
    async def home(self) -> Template:
        now = clock.now()
        rows = await open_upcoming(starting_after=now, starting_before=now + HORIZON, limit=UPCOMING)
        return page("public/home.html", events=await event_list_items(rows), branches=await branches())
