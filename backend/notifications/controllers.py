"""HTTP for notifications (being written)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

CONTROLLERS: list[ControllerRouterHandler] = []
