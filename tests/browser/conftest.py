"""Pages in a real browser: Playwright driving Debian's chromium (Playwright's own browser
download is not reachable here), one browser for the whole session and one page reused by every
test, against the test's app served by uvicorn on loopback in the test's own event loop.

Every test gets ``served`` (the app's base URL) and ``page``; ``outside`` lists any request the
page made to another host (there must be none), ``screenshot(name)`` keeps a picture in
``tests/browser/artefacts/`` for people to look at.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, BrowserContext, Page, Request, async_playwright

from tests.browser.fake_camera import write_y4m
from tests.servers import free_port

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
# As the machine's own probe starts it: no sandbox (root), and no calls home to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
# The camera a door page opens: whatever QR code ``camera.show(text)`` last wrote into this file.
CAMERA = Path(tempfile.gettempdir()) / f"linli-camera-{os.getpid()}.y4m"
CAMERA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    f"--use-file-for-fake-video-capture={CAMERA}",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium", pytrace=False)
    async with async_playwright() as playwright:
        write_y4m(CAMERA, "no ticket yet")
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + CAMERA_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
async def browser_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield context
    await context.close()


class Outside:
    """Requests the page sent anywhere but the app under test."""

    def __init__(self) -> None:
        self.base = ""
        self.requests: list[str] = []

    def __call__(self, request: Request) -> None:
        url = request.url
        if not (url.startswith(self.base) or url.startswith(("data:", "blob:", "about:"))):
            self.requests.append(url)


@pytest.fixture(scope="session")
async def _page(browser_context: BrowserContext) -> AsyncIterator[tuple[Page, Outside]]:
    page = await browser_context.new_page()
    outside = Outside()
    page.on("request", outside)
    yield page, outside
    await page.close()


class Served:
    """uvicorn serving started apps on loopback, one server per app for the session."""

    def __init__(self) -> None:
        self.servers: dict[int, tuple[str, uvicorn.Server, asyncio.Task[None]]] = {}

    async def url_of(self, app: Litestar) -> str:
        if id(app) not in self.servers:
            port = free_port()
            # The app's lifespan already runs (the test session started it): uvicorn only serves.
            config = uvicorn.Config(
                app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
            )
            server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve())
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            self.servers[id(app)] = (f"http://127.0.0.1:{port}", server, task)
        return self.servers[id(app)][0]

    async def stop(self) -> None:
        for _url, server, task in self.servers.values():
            server.should_exit = True
            await task


@pytest.fixture(scope="session")
async def _servers() -> AsyncIterator[Served]:
    servers = Served()
    yield servers
    await servers.stop()


@pytest.fixture
async def served(client: Any, app: Litestar, _servers: Served) -> str:
    """The base URL of the test's app (reset for the test, as ``client`` resets it)."""
    return await _servers.url_of(app)


@pytest.fixture
async def page(_page: tuple[Page, Outside], served: str, browser_context: BrowserContext) -> AsyncIterator[Page]:
    page, outside = _page
    await browser_context.clear_cookies()
    await page.set_viewport_size(DESKTOP)
    outside.base, outside.requests = served, []
    yield page


@pytest.fixture
def outside(_page: tuple[Page, Outside]) -> list[str]:
    return _page[1].requests


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``await screenshot("event-zh-Hans-phone")`` keeps a full-page picture as a test artefact."""
    ARTEFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("backend", "") if hasattr(request.node, "callspec") else ""

    async def take(name: str) -> Path:
        path = ARTEFACTS / f"{name}{'-' + backend if backend else ''}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    yield take


class Camera:
    def show(self, text: str) -> None:
        """Hold ``text``, as a QR code, in front of the camera (the next page that opens it sees it)."""
        write_y4m(CAMERA, text)


@pytest.fixture
def camera() -> Camera:
    return Camera()
