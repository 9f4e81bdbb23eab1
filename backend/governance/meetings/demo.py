"""Governance meetings: demo data."""

from __future__ import annotations

from backend.core.domain import DemoWorld


async def seed(world: DemoWorld) -> None:
    return None
