"""The API's documentation pages work offline: Swagger UI and Scalar run from the app's own
files, with no request to another host."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page


@pytest.mark.parametrize("backend", ["sqlite"])  # the pages read no data: one database is enough
async def test_swagger_and_scalar_come_from_the_app(
    page: Page, served: str, outside: list[str], screenshot: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await page.goto(f"{served}/schema")
    await page.wait_for_selector(".opblock")
    assert await page.locator(".opblock").count() > 100  # every operation is drawn
    await screenshot("schema-swagger")
    await page.goto(f"{served}/schema/scalar")
    await page.get_by_text("Log in a resident with a wx.login() code").first.wait_for()
    await screenshot("schema-scalar")
    assert outside == []
    assert errors == []
