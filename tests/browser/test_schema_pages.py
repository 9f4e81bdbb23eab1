"""The API's documentation pages work offline: Swagger UI and Scalar run from the app's own
files, with no request to another host."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page


@pytest.mark.parametrize("backend", ["sqlite"])  # the pages read no data: one database is enough
async def test_swagger_and_scalar_come_from_the_app(
    page: Page, served: str, outside: list[str], screenshot: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await page.goto(f"{served}/schema")
    # Swagger UI draws only what is near the screen: the first tag's operations at the top, and
    # at the bottom the document's last tag (so the whole document was read and drawn).
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"{served}/schema/openapi.json")).json()
    used = {op["tags"][0] for ops in document["paths"].values() for op in ops.values() if isinstance(op, dict)}
    tags = [tag["name"] for tag in document["tags"]]
    assert used <= set(tags)  # every operation's tag is declared, with its description
    await page.locator(f".opblock[id^=operations-{tags[0]}-]").first.wait_for()
    await page.keyboard.press("End")
    await page.locator(f"#operations-tag-{tags[-1]}").wait_for()
    await screenshot("schema-swagger")
    await page.goto(f"{served}/schema/scalar")
    await page.get_by_text("Log in a resident with a wx.login() code").first.wait_for()
    await screenshot("schema-scalar")
    assert outside == []
    assert errors == []
