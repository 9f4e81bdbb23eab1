"""The governance demo: each sub-package seeds its own part of 南园's self-governance."""

from __future__ import annotations

from backend.core.domain import DemoWorld
from backend.governance.meetings import demo as meetings_demo
from backend.governance.surveys import demo as surveys_demo


async def seed(world: DemoWorld) -> None:
    await meetings_demo.seed(world)
    await surveys_demo.seed(world)
