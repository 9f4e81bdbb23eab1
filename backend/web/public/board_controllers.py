"""A community's public board (居务公开): what its meetings decided, by whom, what has been done
since and what is overdue, the same answer as ``GET /api/v1/communities/{id}/board``, laid out."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.governance.api import community_board
from backend.web.public.edge import page
from backend.web.public.views import path_id

NO_COMMUNITY = NotFound("community_not_found", N_("This community does not exist."))
STATUS_LOOK = {"done": "good", "in_progress": "warn", "planned": "warn", "dropped": "bad"}


class BoardPageController(Controller):
    include_in_schema = False

    @get("/communities/{community_id:str}/board", name="public_board")
    async def board(self, community_id: str) -> Template:
        shown = await community_board(path_id(community_id, NO_COMMUNITY))
        return page("public/board.html", board=shown, look=STATUS_LOOK)
