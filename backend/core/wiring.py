"""From the domain list to what runs: the runtime's registries, the Piccolo apps and their tables.

Everything that used to be wired by hand in several places (the app factory, the worker,
``piccolo_conf``, privacy, OpenAPI tags, chores, the demo) reads the list through these.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import structlog
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from backend.core.crypto import DataKeys
from backend.core.domain import DemoWorld, Domain
from backend.core.jobs import JobSpec, check_cron
from backend.core.runtime import Runtime, Subscription
from backend.settings import Settings

log = structlog.get_logger("linli.wiring")


def check_order(domains: Sequence[Domain]) -> None:
    """Each domain builds only on domains listed before it; names and Piccolo apps are unique."""
    seen: set[str] = set()
    apps: set[str] = set()
    for domain in domains:
        if domain.name in seen:
            raise ValueError(f"domain {domain.name!r} is listed twice")
        later = [name for name in domain.builds_on if name not in seen]
        if later:
            raise ValueError(f"domain {domain.name!r} builds on {later}, which must come before it in the list")
        for app in domain.piccolo_apps:
            if app in apps:
                raise ValueError(f"Piccolo app {app!r} is declared by two domains")
            apps.add(app)
        seen.add(domain.name)


def piccolo_app(module: str) -> AppConfig:
    config: AppConfig = importlib.import_module(module).APP_CONFIG
    return config


def piccolo_modules(domains: Sequence[Domain]) -> list[str]:
    """Every Piccolo app's module, in domain order, each app's migration dependencies set from the
    list: the apps of the domains it builds on, and the domain's own apps before it."""
    by_name = {domain.name: domain for domain in domains}
    modules = []
    for domain in domains:
        upstream = [app for name in domain.builds_on for app in by_name[name].piccolo_apps]
        for position, module in enumerate(domain.piccolo_apps):
            own_before = list(domain.piccolo_apps[:position])
            piccolo_app(module).migration_dependencies = upstream + own_before if position else upstream
            modules.append(module)
    return modules


def all_tables(domains: Sequence[Domain]) -> list[type[Table]]:
    """Every table of every domain, upstream first (children after the tables they point at)."""
    return [table for module in piccolo_modules(domains) for table in piccolo_app(module).table_classes]


def assemble(domains: Sequence[Domain], settings: Settings) -> Runtime:
    """A runtime of these domains: listeners by signal, jobs (chores included) and schedules,
    privacy parts in domain order. Checks the list and refuses a name used twice."""
    check_order(domains)
    subscriptions: dict[str, Subscription] = {}
    for domain in domains:
        for payload_type, listener in domain.listeners:
            earlier = subscriptions.get(payload_type.NAME)
            if earlier is not None and earlier.payload_type is not payload_type:
                raise ValueError(f"signal {payload_type.NAME!r} has two payload types")
            listeners = (*earlier.listeners, listener) if earlier else (listener,)
            subscriptions[payload_type.NAME] = Subscription(payload_type, listeners)
    jobs: dict[str, JobSpec] = {}
    schedules: dict[str, str] = {}
    for domain in domains:
        for spec in (*domain.jobs, *(chore.job() for chore in domain.chores)):
            if spec.name in jobs:
                raise ValueError(f"job {spec.name!r} is declared twice")
            jobs[spec.name] = spec
        for chore in domain.chores:
            schedules[chore.job_name] = check_cron(chore.cron)
        for schedule in domain.schedules:
            if schedule.job not in jobs:
                raise ValueError(f"schedule for {schedule.job!r}, which {domain.name!r} does not declare")
            schedules[schedule.job] = check_cron(schedule.cron)
    privacy: list[tuple[str, Any]] = [(d.name, d.privacy) for d in domains if d.privacy is not None]
    return Runtime(
        settings=settings,
        domains=tuple(domains),
        subscriptions=subscriptions,
        jobs=jobs,
        schedules=schedules,
        privacy=tuple(privacy),
    )


async def run_chores(domains: Sequence[Domain]) -> dict[str, int]:
    """Each domain's chores once (``linli housekeeping``); one that fails is logged and the others
    still run. {chore: rows changed}."""
    done: dict[str, int] = {}
    for domain in domains:
        for chore in domain.chores:
            try:
                done[chore.name] = await chore.run()
            except Exception:  # the next round retries; one broken chore must not stop the rest
                log.exception("chore_failed", chore=chore.name)
    return done


async def reseal_all(domains: Sequence[Domain], keys: DataKeys) -> dict[str, int]:
    """Every value sealed under an older data key (or the signing key), sealed again under the
    current one (``linli rotate-keys``). {domain: values re-sealed}."""
    return {domain.name: await domain.reseal(keys) for domain in domains if domain.reseal is not None}


async def seed_demo(domains: Sequence[Domain], *, secret_key: str) -> str:
    """Every domain's demo data, upstream first, each building on what the ones before it made;
    safe to run more than once. Returns the summary lines."""
    world = DemoWorld(secret_key=secret_key)
    for domain in domains:
        if domain.seed_demo is not None:
            await domain.seed_demo(world)
    return "\n".join(world.summary)
