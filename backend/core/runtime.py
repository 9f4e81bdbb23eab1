"""The running app's (or worker's) own registries and resources, found by the code it runs.

A ``Runtime`` is assembled from the domain list (``backend.core.wiring.assemble``): the signal
listeners, the jobs and their schedules, the privacy parts, then, once opened, the shared
resources (WeChat client, cache, stores, job runner). Nothing about it is global: it is bound to
the current context, by the app's lifespan (so its background tasks inherit it), by the request
middleware (for each request), and by the worker and the CLI around their work. Two apps in one
process each see their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.core.cache import VersionedCache
    from backend.core.domain import Domain, PrivacyPart
    from backend.core.jobs import JobSpec, Runner
    from backend.core.signals import Listener, Signal
    from backend.core.stores import Stores
    from backend.core.wechat import WechatClient
    from backend.settings import Settings


@dataclass(frozen=True)
class Subscription:
    """Who listens to one signal: its payload type and the listeners, in domain order."""

    payload_type: type[Signal]
    listeners: tuple[Listener[Any], ...]


@dataclass
class Runtime:
    settings: Settings
    domains: tuple[Domain, ...]
    subscriptions: Mapping[str, Subscription]
    jobs: dict[str, JobSpec]  # the runners see jobs declared later (tests)
    schedules: Mapping[str, str]  # job name → UTC cron
    privacy: tuple[tuple[str, PrivacyPart], ...]  # (domain, part), upstream first
    # Opened by the lifespan (or the worker): what jobs, listeners and services may use.
    runner: Runner | None = None
    wechat: WechatClient | None = None
    cache: VersionedCache | None = None
    stores: Stores | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def subscribe(self, payload_type: type[Signal], listener: Listener[Any]) -> Callable[[], None]:
        """Add a listener to this runtime only (tests watch signals so); returns its undo."""
        subscriptions = dict(self.subscriptions)
        earlier = subscriptions.get(payload_type.NAME)
        listeners = (*earlier.listeners, listener) if earlier else (listener,)
        subscriptions[payload_type.NAME] = Subscription(payload_type, listeners)
        self.subscriptions = subscriptions

        def unsubscribe() -> None:
            found = dict(self.subscriptions)
            entry = found.get(payload_type.NAME)
            if entry is None:
                return
            rest = tuple(each for each in entry.listeners if each is not listener)
            if rest:
                found[payload_type.NAME] = Subscription(entry.payload_type, rest)
            else:
                found.pop(payload_type.NAME)
            self.subscriptions = found

        return unsubscribe

    def job(self, name: str) -> JobSpec:
        try:
            return self.jobs[name]
        except KeyError:
            raise LookupError(f"no job named {name!r} in this app's domains") from None


_current: ContextVar[Runtime | None] = ContextVar("linli_runtime", default=None)


def current() -> Runtime:
    """The runtime of the app (or worker) this code runs in."""
    runtime = _current.get()
    if runtime is None:
        raise RuntimeError("no Linli runtime here: run inside an app, a worker or `runtime.bound(...)`")
    return runtime


def current_or_none() -> Runtime | None:
    return _current.get()


@contextmanager
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """Make ``runtime`` the current one for this context (and the tasks it starts)."""
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)


def bind(runtime: Runtime | None) -> object:
    """``bound`` for code that cannot use a with-block (ASGI middleware); returns a reset token."""
    return _current.set(runtime)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]  # the token bind() returned
