"""The app factory: every resource comes from the settings or from the caller, never from import."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
import structlog
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ControllerRouterHandler
from piccolo.table import Table
from redis.asyncio import Redis

from backend.accounts.controllers import AuthController, DevAuthController, LocaleController, MeController
from backend.accounts.piccolo_app import APP_CONFIG as ACCOUNTS_APP
from backend.accounts.services import load_principal
from backend.core import jobs, signals
from backend.core.cache import VersionedCache
from backend.core.db import bind_tables, close_engine, make_engine, open_engine
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
from backend.core.operations import MetricsController, OperationsController
from backend.core.piccolo_app import APP_CONFIG as CORE_APP
from backend.core.stores import build_stores
from backend.core.wechat import WechatClient
from backend.events.calendar_controllers import CalendarController
from backend.events import privacy as events_privacy
from backend.core.media import MediaController
from backend.events.poster_controllers import PosterController
from backend.events.share_card_controllers import ShareCardController
from backend.libraries.controllers import LibraryController
from backend.libraries.piccolo_app import APP_CONFIG as LIBRARIES_APP
from backend.events.controllers import CatalogueController, DoorController, EventController, RegistrationController
from backend.events.piccolo_app import APP_CONFIG as EVENTS_APP
from backend.settings import Settings
from backend.inclusion import controllers as inclusion_controllers
from backend.inclusion import insight_controllers, reward_controllers
from backend.inclusion import listeners as inclusion_listeners
from backend.inclusion import privacy as inclusion_privacy
from backend.inclusion.piccolo_app import APP_CONFIG as INCLUSION_APP
from backend.notifications import controllers as notification_controllers
from backend.notifications import listeners as notification_listeners
from backend.notifications.piccolo_app import APP_CONFIG as NOTIFICATIONS_APP
from backend.volunteers import controllers as volunteer_controllers
from backend.volunteers import hours_controllers, incident_controllers, shift_controllers
from backend.volunteers import privacy as volunteers_privacy
from backend.volunteers.piccolo_app import APP_CONFIG as VOLUNTEERS_APP

log = structlog.get_logger("linli.app")

PICCOLO_APPS = [CORE_APP, ACCOUNTS_APP, EVENTS_APP, LIBRARIES_APP, VOLUNTEERS_APP, INCLUSION_APP, NOTIFICATIONS_APP]


def all_tables() -> list[type[Table]]:
    return [table for app in PICCOLO_APPS for table in app.table_classes]


def _app_version() -> str:
    try:
        return version("linli")
    except PackageNotFoundError:
        return "0.0.0"


def _route_handlers(settings: Settings) -> Sequence[ControllerRouterHandler]:
    handlers: list[ControllerRouterHandler] = [
        OperationsController,
        MetricsController,
        AuthController,
        MeController,
        LocaleController,
        CatalogueController,
        EventController,
        RegistrationController,
        ShareCardController,
        DoorController,
        CalendarController,
        PosterController,
        MediaController,
        LibraryController,
        *volunteer_controllers.CONTROLLERS,
        *shift_controllers.CONTROLLERS,
        *hours_controllers.CONTROLLERS,
        *incident_controllers.CONTROLLERS,
        *inclusion_controllers.CONTROLLERS,
        *reward_controllers.CONTROLLERS,
        *insight_controllers.CONTROLLERS,
        *notification_controllers.CONTROLLERS,
    ]
    if settings.dev_login_enabled:
        handlers.append(DevAuthController)
    return handlers


def _from_state(name: str) -> Provide:
    def provide(state: State) -> Any:
        return state[name]

    provide.__name__ = f"provide_{name}"
    return Provide(provide, sync_to_thread=False)


# Modules that register background jobs when imported; one not written yet is skipped.
JOB_MODULES = ("backend.housekeeping", "backend.notifications.jobs")


def load_job_modules() -> None:
    """Register every job (the app enqueues them, ``linli worker`` runs them)."""
    for module in JOB_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise


@asynccontextmanager
async def _jobs(settings: Settings, app: Litestar, redis: Redis | None) -> AsyncIterator[None]:
    """Where jobs go: with Redis the shared SAQ queue (``linli worker`` runs it, cron included);
    without, this process runs them and, unless LINLI_HOUSEKEEPING_SECONDS is 0, their schedule."""
    load_job_modules()
    runner: jobs.Runner = RedisRunner(redis) if redis is not None else jobs.ProcessRunner()
    app.state.jobs = runner
    previous_runner = jobs.use(runner)
    previous_resources = jobs.provide(
        settings=settings, wechat=app.state.wechat, cache=app.state.cache, stores=app.state.stores
    )
    stop = asyncio.Event()
    scheduler = None
    if redis is None and settings.housekeeping_seconds > 0:
        scheduler = asyncio.create_task(jobs.run_periodic(stop=stop))
    try:
        yield
    finally:
        stop.set()
        if scheduler is not None:
            await scheduler
        if isinstance(runner, jobs.ProcessRunner):
            await runner.close()  # what has not run by now is recorded in core_failed_job
        jobs.use(previous_runner)
        jobs.provide(**previous_resources)


@asynccontextmanager
async def _background(settings: Settings) -> AsyncIterator[None]:
    """Per-process upkeep: re-deliver signals a crash left behind."""
    stop = asyncio.Event()
    tasks = []
    if settings.signal_sweep_seconds > 0:
        tasks.append(asyncio.create_task(signals.run_sweeper(interval_seconds=settings.signal_sweep_seconds, stop=stop)))
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def _connect_domains(settings: Settings) -> None:
    """What domains contribute to each other without importing downstream: their parts of a
    person's export and erasure, and the listeners that react to other domains' signals."""
    events_privacy.register()
    volunteers_privacy.register(secret_key=settings.secret_key)
    inclusion_privacy.register()
    inclusion_listeners.register(settings)
    notification_listeners.register(settings)


def create_app(
    settings: Settings | None = None,
    *,
    http_client: httpx.AsyncClient | None = None,
    redis: Redis | None = None,
) -> Litestar:
    """Build the app. Resources passed in belong to the caller; those it opens itself it closes."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    _connect_domains(settings)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        own_redis = redis is None and bool(settings.redis_url)
        shared = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2) if own_redis else redis
        http = http_client or httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        # Piccolo binds tables process-wide; an app that stops gives them back to whatever they
        # were bound to before (tests run one app inside another).
        previous = {table: table._meta._db for table in all_tables()}
        bind_tables(engine, all_tables())
        try:
            await open_engine(engine, settings)
            if shared is not None:
                await shared.ping()  # a dead Redis fails start-up loudly, like a dead database
            app.state.stores = build_stores(shared)
            app.state.cache = VersionedCache(app.state.stores)
            app.state.wechat = WechatClient(
                http=http,
                base_url=settings.wechat_api_base,
                appid=settings.wechat_appid,
                secret=settings.wechat_secret,
                redis=shared,
            )
            async with _jobs(settings, app, shared), _background(settings):
                yield
        finally:
            for table, earlier in previous.items():
                table._meta._db = earlier
            await close_engine(engine)
            if http_client is None:
                await http.aclose()
            if own_redis and shared is not None:
                await shared.aclose()

    app = Litestar(
        route_handlers=_route_handlers(settings),
        lifespan=[lifespan],
        state=State({"settings": settings, "engine": engine}),
        dependencies={
            "settings": _from_state("settings"),
            "wechat": _from_state("wechat"),
            "stores": _from_state("stores"),
            "cache": _from_state("cache"),
        },
        middleware=[
            RequestContextMiddleware(secret_key=settings.secret_key, load_user=load_principal),
            PrometheusConfig(app_name="linli", prefix="linli", group_path=True).middleware,
        ],
        exception_handlers={
            DomainError: domain_error_handler,
            HTTPException: http_exception_handler,
            RecursionError: nesting_error_handler,
            Exception: internal_error_handler,
        },
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"),
        openapi_config=openapi_config(_app_version()),
        request_max_body_size=settings.max_request_bytes,
        before_request=check_request_input,
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    return app
