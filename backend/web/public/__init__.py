"""The public pages behind every QR code and shared link: an event, a share link, a library
branch, a service record's verification, a community's public board, and a small home page.
Server-rendered, the same for every visitor (so a cache may keep them), in the reader's language;
refusals are pages too (``edge``)."""

from __future__ import annotations

from litestar import Router

from backend.web.public.board_controllers import BoardPageController
from backend.web.public.edge import EXCEPTION_HANDLERS, same_site
from backend.web.public.event_controllers import EventPageController
from backend.web.public.home_controllers import HomePageController
from backend.web.public.library_controllers import BranchPageController
from backend.web.public.verify_controllers import VerifyPageController


def public_router() -> Router:
    """Every public page. Its ``before_request`` (the same-site check of the one POST) stands in
    for the API's JSON input check: these pages take typed path and query parameters only."""
    return Router(
        path="/",
        route_handlers=[
            HomePageController,
            EventPageController,
            BranchPageController,
            VerifyPageController,
            BoardPageController,
        ],
        before_request=same_site,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        include_in_schema=False,
    )
