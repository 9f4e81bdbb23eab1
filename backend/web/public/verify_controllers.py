"""The page a service record's QR code opens (``/verify/{code}``): whether the record is genuine
and current, and what it states. The printed record number works as well as the code."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from backend.core.stores import rate_limit
from backend.volunteers.api import record_for_verification
from backend.web.public.edge import NO_STORE, page
from backend.web.public.views import record_view

# The API's lookup and this page count against the same limit per address.
CHECK_RATE = rate_limit("record_check", setting="record_check_rate_limit")


class VerifyPageController(Controller):
    include_in_schema = False

    @get("/verify/{code:str}", name="public_verify", guards=[CHECK_RATE])
    async def verify(self, code: str) -> Template:
        """Never kept by a cache: a record superseded a minute ago must read so at once."""
        view = record_view(await record_for_verification(code))
        return page("public/verify.html", cache=NO_STORE, status=404 if view.state == "unknown" else 200, record=view)
