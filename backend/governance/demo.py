"""The governance demo: each sub-package seeds its own part of 南园's self-governance."""

from __future__ import annotations

from backend.core.domain import DemoWorld
from backend.governance.incidents.demo import seed_incidents
from backend.governance.meetings import demo as meetings_demo
from backend.governance.surveys import demo as surveys_demo


async def seed(world: DemoWorld) -> None:
    patrol, reporter = world.made.get("volunteers.patrol"), world.made.get("volunteers.reporter")
    if patrol is not None and reporter is not None:  # volunteers seeded its patrol just now
        await seed_incidents(
            world,
            community=world.organisations["nanyuan"],
            team=patrol,
            reporter=reporter,
            coordinator=world.staff["demo-coordinator"],
        )
    await meetings_demo.seed(world)
    await surveys_demo.seed(world)
