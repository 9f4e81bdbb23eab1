"""A library branch's public page: open or closed now, the week's hours, free seats, events."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.libraries.api import branch_page
from backend.web.public.edge import page
from backend.web.public.views import content_note, path_id, seats_age

NO_BRANCH = NotFound("branch_not_found", N_("This library branch does not exist."))


class BranchPageController(Controller):
    include_in_schema = False

    @get("/library-branches/{branch_id:str}", name="public_branch")
    async def branch(self, branch_id: str) -> Template:
        shown = await branch_page(path_id(branch_id, NO_BRANCH))
        return page(
            "public/branch.html",
            branch=shown,
            note=content_note(shown.locale, shown.converted),
            seats_age=seats_age(shown),
        )
