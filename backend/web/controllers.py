"""The web domain's own files: our stylesheet and the vendored scripts (static/vendor/VENDORED.md)."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).resolve().parent / "static"


def static_files() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        name="static",
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )
