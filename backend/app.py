"""The app factory: built from the domain list; every resource comes from the settings or from the
caller, never from import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from backend.accounts.api import load_principal
from backend.core import jobs, metrics, runtime, signals
from backend.core.auth import provide_caller, provide_visitor
from backend.core.db import make_engine
from backend.core.domain import Domain
from backend.core.errors import (
    DomainError,
    domain_error_handler,
    http_exception_handler,
    internal_error_handler,
    nesting_error_handler,
)
from backend.core.input_checks import check_request_input
from backend.core.job_queue import RedisRunner
from backend.core.logging import configure_logging
from backend.core.middleware import RequestContextMiddleware
from backend.core.openapi import document_problems, openapi_config
from backend.core.replica import ReplicaRouting
from backend.core.resources import open_resources
from backend.core.runtime import Runtime
from backend.core.wiring import all_tables, assemble
from backend.domains import DOMAINS
from backend.events.api import AttendanceRecorded, RegistrationConfirmed, RegistrationPromoted, RegistrationWaitlisted
from backend.settings import Settings


def _app_version() -> str:
    try:
        return version("linli")
    except PackageNotFoundError:
        return "0.0.0"


def _route_handlers(domains: Sequence[Domain], settings: Settings) -> list[ControllerRouterHandler]:
    return [handler for domain in domains for handler in domain.routes(settings)]


def _tags(domains: Sequence[Domain]) -> list[tuple[str, str]]:
    """The domains' OpenAPI tags in domain order, core's operations last (after what people use)."""
    ordered = sorted(domains, key=lambda domain: domain.name == "core")
    return [tag for domain in ordered for tag in domain.tags]


def _from_state(name: str) -> Provide:
    def provide(state: State) -> Any:
        return state[name]

    provide.__name__ = f"provide_{name}"
    return Provide(provide, sync_to_thread=False)


@asynccontextmanager
async def _jobs(settings: Settings, app: Litestar, current: Runtime, redis: Redis | None) -> AsyncIterator[None]:
    """Where jobs go: with Redis the shared SAQ queue (``linli worker`` runs it, cron included);
    without, this process runs them and, unless LINLI_HOUSEKEEPING_SECONDS is 0, their schedule."""
    runner: jobs.Runner = (
        RedisRunner(redis, specs=current.jobs) if redis is not None else jobs.ProcessRunner(current.jobs)
    )
    current.runner = app.state.jobs = runner
    stop = asyncio.Event()
    scheduler = None
    if redis is None and settings.housekeeping_seconds > 0:
        scheduler = asyncio.create_task(jobs.run_periodic(schedules=current.schedules, stop=stop))
    try:
        yield
    finally:
        stop.set()
        if scheduler is not None:
            await scheduler
        if isinstance(current.runner, jobs.ProcessRunner):
            await current.runner.close()  # what has not run by now is recorded in core_failed_job
        current.runner = None


@asynccontextmanager
async def _background(settings: Settings, current: Runtime) -> AsyncIterator[None]:
    """Per-process upkeep: deliver the hot paths' signals after their answers, and re-deliver
    signals a crash left behind."""
    stop = asyncio.Event()
    dispatcher = signals.Dispatcher()
    current.extra["dispatcher"] = dispatcher
    tasks = [asyncio.create_task(dispatcher.run())]
    if settings.signal_sweep_seconds > 0:
        tasks.append(
            asyncio.create_task(signals.run_sweeper(interval_seconds=settings.signal_sweep_seconds, stop=stop))
        )
    try:
        yield
    finally:
        stop.set()
        dispatcher.stop()
        await asyncio.gather(*tasks)
        current.extra.pop("dispatcher", None)


# The public reads a replica may answer (``backend.core.replica``): operation ids of the API and
# route names of the public pages.
REPLICA_READS = frozenset(
    {
        "list_events",
        "get_event",
        "list_library_branches",
        "get_library_branch",
        "public_home",
        "public_event",
        "public_branch",
    }
)


def instrument(current: Runtime) -> None:
    """The service's counters that come from signals (``backend.core.metrics``), and the refusals
    of sign-ups, counted by the process that delivers or answers them."""

    async def confirmed(message: signals.SignalMessage[RegistrationConfirmed]) -> None:
        metrics.SIGNUPS.labels(outcome="confirmed", code="").inc()

    async def waitlisted(message: signals.SignalMessage[RegistrationWaitlisted]) -> None:
        metrics.SIGNUPS.labels(outcome="waitlisted", code="").inc()

    async def promoted(message: signals.SignalMessage[RegistrationPromoted]) -> None:
        metrics.PROMOTIONS.inc()

    async def checked_in(message: signals.SignalMessage[AttendanceRecorded]) -> None:
        metrics.CHECKINS.inc()
        metrics.CHECKIN_PEOPLE.inc(message.payload.party_size)

    current.subscribe(RegistrationConfirmed, confirmed)
    current.subscribe(RegistrationWaitlisted, waitlisted)
    current.subscribe(RegistrationPromoted, promoted)
    current.subscribe(AttendanceRecorded, checked_in)
    metrics.count_refusals("sign_up", metrics.SIGNUPS)
    metrics.preset_jobs(list(current.jobs))


def create_app(
    settings: Settings | None = None,
    *,
    http_client: httpx.AsyncClient | None = None,
    redis: Redis | None = None,
    domains: Sequence[Domain] = DOMAINS,
) -> Litestar:
    """Build the app from ``domains``. Resources passed in belong to the caller; those it opens
    itself it closes."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    current = assemble(domains, settings)
    instrument(current)
    tables = all_tables(domains)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_resources(settings, tables, engine=engine, http_client=http_client, redis=redis) as opened:
            opened.provide_to(current)
            app.state.resources = opened
            app.state.stores, app.state.cache, app.state.wechat = opened.stores, opened.cache, opened.wechat
            # The lifespan's tasks (job runner, scheduler, sweeper) inherit the runtime from here.
            with runtime.bound(current):
                async with _jobs(settings, app, current, opened.redis), _background(settings, current):
                    yield

    app = Litestar(
        route_handlers=_route_handlers(domains, settings),
        lifespan=[lifespan],
        on_app_init=[hook for domain in domains for hook in domain.app_hooks],
        state=State({"settings": settings, "engine": engine, "runtime": current}),
        dependencies={
            "settings": _from_state("settings"),
            "wechat": _from_state("wechat"),
            "stores": _from_state("stores"),
            "cache": _from_state("cache"),
            "caller": Provide(provide_caller, sync_to_thread=False),
            "visitor": Provide(provide_visitor, sync_to_thread=False),
        },
        middleware=[
            RequestContextMiddleware(secret_key=settings.secret_key, load_user=load_principal),
            PrometheusConfig(app_name="linli", prefix="linli", group_path=True).middleware,
            DefineMiddleware(ReplicaRouting, operations=REPLICA_READS),
        ],
        exception_handlers={
            DomainError: domain_error_handler,
            HTTPException: http_exception_handler,
            RecursionError: nesting_error_handler,
            Exception: internal_error_handler,
        },
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"),
        openapi_config=openapi_config(_app_version(), _tags(domains)) if settings.api_docs_enabled else None,
        request_max_body_size=settings.max_request_bytes,
        before_request=check_request_input,
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    return app
