"""Background jobs: work that can wait (notices, reminders, chores) runs outside the request.

A domain declares its jobs in its manifest (``Domain(jobs=(JobSpec(...),), chores=(Chore(...),))``);
the runtime assembled from the domain list holds them. Code enqueues with ``await
jobs.enqueue("name", key=..., **kwargs)``. Where the work runs is the app's choice, made once in its
lifespan:

- with Redis, a SAQ queue shared by every instance; ``linli worker`` processes it
  (``backend/core/job_queue.py``);
- without Redis, an in-process runner and scheduler (below), for the embedded default.

Either way a job is idempotent (its own writes are keyed), retried with exponential backoff, and
when every attempt failed it is written to ``core_failed_job``: never silently dropped. A ``key``
makes enqueueing idempotent too: a second enqueue of a key that is still queued or running is
ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from croniter import croniter

from backend.core import clock, metrics, runtime
from backend.core.tables import FailedJob

log = structlog.get_logger("linli.jobs")

JobFunction = Callable[..., Awaitable[Any]]
ERROR_LIMIT = 4000


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    retries: int = 5  # attempts in all, the first included
    backoff_seconds: float = 2.0  # 2, 4, 8, … between attempts
    timeout_seconds: float = 120.0


def check_cron(cron: str) -> str:
    """A five-field cron schedule (UTC), or a ValueError."""
    if not croniter.is_valid(cron):
        raise ValueError(f"not a five-field cron schedule: {cron!r}")
    return cron


class Runner(Protocol):
    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool: ...

    async def drain(self) -> None: ...


def resource(name: str) -> Any:
    """What jobs may use besides the database (``settings``, ``wechat``, ``cache``, ``stores``),
    from the runtime that runs them."""
    current = runtime.current()
    value = current.settings if name == "settings" else getattr(current, name, None)
    if value is None:
        raise LookupError(f"no {name!r} provided to jobs")
    return value


async def enqueue(name: str, *, key: str | None = None, run_at: datetime | None = None, **kwargs: Any) -> bool:
    """Queue job ``name``; False when ``key`` is already queued or running. Call it after commit.

    Arguments are plain JSON (ids and datetimes as strings), as the Redis queue stores them; the
    in-process runner hands the job the same JSON round trip, so both behave alike."""
    current = runtime.current()
    current.job(name)  # an unknown job is a programming error, found here rather than in a worker
    if current.runner is None:
        raise RuntimeError("no job runner: enqueue runs inside an app (or a worker) that set one")
    return await current.runner.enqueue(name, key=key, run_at=run_at, kwargs=_json_round_trip(name, kwargs))


async def drain() -> None:
    """Run every job queued so far to its end, and what those queue (tests)."""
    runner = runtime.current().runner
    if runner is None:
        raise RuntimeError("no job runner to drain")
    await runner.drain()


def _json_round_trip(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        plain: dict[str, Any] = json.loads(json.dumps(kwargs, allow_nan=False))
        return plain
    except (TypeError, ValueError) as error:
        raise TypeError(f"arguments of job {name!r} are plain JSON (ids and datetimes as strings): {error}") from error


async def record_failure(
    *, name: str, key: str | None, kwargs: dict[str, Any], attempts: int, error: str, queue: str
) -> None:
    await FailedJob.insert(
        FailedJob(
            name=name,
            key=key or "",
            arguments=_plain(kwargs),
            attempts=attempts,
            error=error[-ERROR_LIMIT:],
            failed_at=clock.now(),
            queue=queue,
        )
    )


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v) for k, v in kwargs.items()
    }


# --- the in-process runner ---------------------------------------------------------------------


@dataclass
class ProcessRunner:
    """Jobs as tasks of this process: for one instance without Redis (the embedded default)."""

    jobs: Mapping[str, JobSpec]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _keys: set[str] = field(default_factory=set)

    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool:
        if key is not None:
            if key in self._keys:
                return False
            self._keys.add(key)
        task = asyncio.create_task(self._run(self.jobs[name], key, run_at, kwargs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, job_spec: JobSpec, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> None:
        try:
            if run_at is not None:
                try:
                    await self.sleep(max(0.0, (run_at - clock.now()).total_seconds()))
                except asyncio.CancelledError:
                    await _record_cancelled(job_spec, key, kwargs, attempts=0, queue="process")
                    raise
            await run_with_retries(job_spec, key, kwargs, sleep=self.sleep, queue="process")
        finally:
            if key is not None:
                self._keys.discard(key)

    @property
    def pending(self) -> int:
        """Jobs waiting or running in this process."""
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for every queued job (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop every job still waiting or running; each is recorded as failed (it will not run)."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def run_with_retries(
    job_spec: JobSpec, key: str | None, kwargs: dict[str, Any], *, sleep: Callable[[float], Awaitable[None]], queue: str
) -> bool:
    """Attempt the job up to ``retries`` times with exponential backoff; record it if all fail
    (or if it is cancelled before it could finish: a stopping process drops no job silently)."""
    error = ""
    attempt = 0
    try:
        for attempt in range(1, job_spec.retries + 1):
            try:
                with metrics.job_attempt(job_spec.name):
                    await asyncio.wait_for(job_spec.function(**kwargs), timeout=job_spec.timeout_seconds)
                return True
            except Exception as failure:  # any failure is retried, then recorded
                error = "".join(traceback.format_exception_only(failure)).strip()
                log.warning("job_attempt_failed", job=job_spec.name, key=key, attempt=attempt, error=error)
                if attempt < job_spec.retries:
                    await sleep(job_spec.backoff_seconds * 2 ** (attempt - 1))
    except asyncio.CancelledError:
        await _record_cancelled(job_spec, key, kwargs, attempts=attempt, queue=queue)
        raise
    await record_failure(
        name=job_spec.name, key=key, kwargs=kwargs, attempts=job_spec.retries, error=error, queue=queue
    )
    log.error("job_failed", job=job_spec.name, key=key, attempts=job_spec.retries)
    return False


async def _record_cancelled(
    job_spec: JobSpec, key: str | None, kwargs: dict[str, Any], *, attempts: int, queue: str
) -> None:
    try:
        await record_failure(
            name=job_spec.name,
            key=key,
            kwargs=kwargs,
            attempts=attempts,
            error="cancelled: the process stopped before the job finished",
            queue=queue,
        )
    except Exception:  # the database went first; the log is all that is left
        log.exception("job_failure_not_recorded", job=job_spec.name, key=key)
    log.error("job_cancelled", job=job_spec.name, key=key, attempts=attempts)


# --- the in-process scheduler ------------------------------------------------------------------


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def next_tick(cron: str, after: datetime) -> datetime:
    """The first moment of ``cron`` (UTC) strictly after ``after``."""
    tick: datetime = croniter(cron, after.astimezone(UTC)).get_next(datetime)
    return tick


async def run_periodic(
    *,
    schedules: Mapping[str, str],
    stop: asyncio.Event,
    now: Callable[[], datetime] = clock.now,
    wait: Callable[[asyncio.Event, float], Awaitable[None]] = _wait_or_stop,
) -> None:
    """Enqueue every periodic job (``schedules``: job name → cron) at each of its cron ticks until
    ``stop``: the scheduler of one process without Redis (with Redis, the workers' SAQ cron does
    it). A tick missed while the process was busy or down is not made up: the next one comes."""
    crons = dict(schedules)
    due = {name: next_tick(cron, now()) for name, cron in crons.items()}
    while due and not stop.is_set():
        moment = now()
        ready = [name for name, at in due.items() if at <= moment]
        if not ready:
            await wait(stop, (min(due.values()) - moment).total_seconds())
            continue
        for name in ready:
            try:
                await enqueue(name, key=f"cron:{name}")  # a tick still running is not doubled
            except Exception:  # a broken job must not stop the schedule of the others
                log.exception("periodic_enqueue_failed", job=name)
            due[name] = next_tick(crons[name], moment)
