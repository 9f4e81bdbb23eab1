"""A domain declares itself once: its ``Domain`` manifest, exported as ``DOMAIN`` by its package and
listed in ``backend/domains.py``. The app, the worker, ``piccolo_conf``, privacy export and erasure,
the OpenAPI tags, the chores and the demo all read that list; nothing registers itself on import.

Adding a domain is one package with a manifest and one line in ``backend/domains.py``
(docs/ARCHITECTURE.md walks through it).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backend.core.crypto import DataKeys
from backend.core.jobs import JobSpec
from backend.core.privacy import Eraser, Exporter
from backend.core.signals import Listener, Signal

if TYPE_CHECKING:
    from litestar.config.app import AppConfig
    from litestar.types import ControllerRouterHandler

    from backend.settings import Settings


@dataclass(frozen=True)
class Chore:
    """Periodic upkeep: a job with no arguments on a UTC cron schedule, once per tick across all
    instances; ``linli housekeeping`` runs every chore once. Each is safe to run twice at once."""

    name: str
    run: Callable[[], Awaitable[Any]]
    cron: str
    retries: int = 3
    backoff_seconds: float = 30.0
    timeout_seconds: float = 600.0

    @property
    def job_name(self) -> str:
        return f"chore.{self.name}"

    def job(self) -> JobSpec:
        return JobSpec(self.job_name, self.run, self.retries, self.backoff_seconds, self.timeout_seconds)


@dataclass(frozen=True)
class Schedule:
    """A declared job (no arguments) enqueued at each tick of a UTC cron schedule, once per tick
    across all instances."""

    job: str
    cron: str


@dataclass(frozen=True)
class PrivacyPart:
    """What a domain holds about a person: its part of the export, and how to erase it (release
    what they hold, remove personal data, keep ledger rows pointing at an anonymised account)."""

    export: Exporter
    erase: Eraser | None = None


@dataclass
class DemoWorld:
    """What demo seeding has made so far, handed from each domain to the next in the list:
    organisations and staff by their demo keys (from accounts), and whatever a domain leaves for
    the ones after it under ``made``; each seeder adds its line to ``summary``."""

    secret_key: str
    organisations: dict[str, uuid.UUID] = field(default_factory=dict)
    staff: dict[str, uuid.UUID] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


Routes = Callable[["Settings"], Sequence["ControllerRouterHandler"]]


def no_routes(settings: Settings) -> Sequence[ControllerRouterHandler]:
    return ()


@dataclass(frozen=True)
class Domain:
    """One domain's contribution to the app, in one place."""

    name: str
    builds_on: tuple[str, ...] = ()
    # Module paths of the domain's Piccolo apps (each module holds APP_CONFIG), upstream first.
    piccolo_apps: tuple[str, ...] = ()
    routes: Routes = no_routes
    listeners: tuple[tuple[type[Signal], Listener[Any]], ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    chores: tuple[Chore, ...] = ()
    privacy: PrivacyPart | None = None
    seed_demo: Callable[[DemoWorld], Awaitable[None]] | None = None
    # Re-seal every value the domain sealed under an older data key (``linli rotate-keys``);
    # returns how many it re-sealed.
    reseal: Callable[[DataKeys], Awaitable[int]] | None = None
    tags: tuple[tuple[str, str], ...] = ()  # OpenAPI tags of its operations: (name, description)
    # Litestar on_app_init hooks, for what a domain adds to the app as a whole (web: templates).
    app_hooks: tuple[Callable[[AppConfig], AppConfig], ...] = ()
