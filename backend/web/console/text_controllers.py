"""Help with organiser-written text in five languages: one language's box filled from the
Simplified Chinese one, converted to Traditional characters (OpenCC) or copied as it is for the
translator to work on. Never a machine translation."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.response import Template

from backend.core.i18n import LOCALES, convert
from backend.web.console.account_controllers import Form
from backend.web.console.edge import signed_in

SOURCE = "zh-Hans"


class TextController(Controller):
    path = "/text"
    include_in_schema = False
    guards = [signed_in]

    @post("/convert", status_code=200)
    async def convert(self, request: Request[Any, Any, Any], data: Form) -> Template:
        name = str(data.get("field") or "")
        target = str(data.get("to") or "")
        if target not in LOCALES or not name.replace("_", "").replace(".", "").isalnum():
            target, name = SOURCE, "text"
        text = str(data.get(f"{name}.{SOURCE}") or "")
        value = convert(text, SOURCE, target) if target == "zh-Hant" else text
        try:
            rows = max(1, min(20, int(str(data.get("rows") or 4))))
        except ValueError:
            rows = 4
        return Template(
            template_name="console/_text_input.html",
            context={
                "name": name,
                "locale": target,
                "value": value,
                "multiline": data.get("multiline") == "1",
                "rows": rows,
            },
        )
