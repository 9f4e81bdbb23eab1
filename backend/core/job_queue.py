"""The Redis job queue (SAQ): what the app's instances enqueue into and ``linli worker`` runs.

One SAQ queue, ``linli``, on the app's Redis. Every registered job becomes a SAQ function of the
same name; every periodic one a SAQ cron job with ``unique=True``, so however many workers run,
one tick is one job. SAQ's key is our idempotency key: SAQ's enqueue is one Lua script that adds
the job only if its key is not already queued, scheduled, retrying or running, so two instances
enqueueing one key at the same moment get one job (and one of them hears ``False``).

A job whose last attempt failed (or that SAQ gave up on: aborted, swept after its worker died) is
written to ``core_failed_job`` by the queue itself, at the one place SAQ finishes a job.

SAQ's sweeper re-queues a job it finds in the active list whose status is not yet "active"; but a
worker moves a job there first and marks it active a moment later, so a sweep in between (at the
latest when a worker starts next to a backlog) runs the job twice (tobymao/saq#277). Our sweep
waits for such a job to be seen twice, a sweep apart (60 s), before it counts as abandoned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import structlog
from redis.asyncio import Redis
from saq import CronJob, Job, Status, Worker
from saq.job import UNSUCCESSFUL_TERMINAL_STATUSES
from saq.queue.redis import RedisQueue

from backend.core import clock, jobs, metrics

log = structlog.get_logger("linli.jobs")

QUEUE_NAME = "linli"
# The sweep's selection, SAQ's contract (the lock, then [job id, job] pairs to look at) with one
# change: a job still "queued" in the active list is only a suspect the first time it is seen.
_SWEEP_SCRIPT = """
local chosen = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    local suspected = {}
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do suspected[id] = true end
    redis.call('DEL', KEYS[3])
    for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        local job = redis.call('GET', id)
        local ok, decoded = false, nil
        if job then ok, decoded = pcall(cjson.decode, job) end
        if ok and type(decoded) == 'table' and decoded['status'] == 'queued' and not suspected[id] then
            redis.call('SADD', KEYS[3], id)
        else
            table.insert(chosen, {id, job})
        end
    end
    redis.call('EXPIRE', KEYS[3], ARGV[1] * 3)
end
return chosen
"""
# A drain asks Redis for the next job this long (seconds) before concluding the queue is empty:
# everything already queued is there at once, so this only bounds the last, empty, ask.
_DRAIN_DEQUEUE_SECONDS = 0.05

SaqFunction = Callable[..., Awaitable[Any]]


class RecordingQueue(RedisQueue):
    """SAQ's Redis queue that writes every job it gives up on to ``core_failed_job``, and never
    sweeps a job a worker has only just taken."""

    def __init__(self, redis: Redis, *, name: str) -> None:
        super().__init__(redis, name=name)
        script = redis.register_script(_SWEEP_SCRIPT)
        suspects = self.namespace("sweep_suspects")

        async def select_for_sweep(keys: list[str], args: list[Any], client: Redis | None = None) -> Any:
            return await script(keys=[*keys, suspects], args=args, client=client)

        # SAQ's sweep() runs whatever script it holds here (and only registers its own when none).
        self._cleanup_script = select_for_sweep  # type: ignore[assignment]  # SAQ types it as its own Script

    async def finish(
        self, job: Job, status: Status, *, result: Any = None, error: str | None = None, **kwargs: Any
    ) -> None:
        await super().finish(job, status, result=result, error=error, **kwargs)
        if status in UNSUCCESSFUL_TERMINAL_STATUSES:
            await _record(job, status)


async def _record(job: Job, status: Status) -> None:
    try:
        await jobs.record_failure(
            name=job.function,
            key=job.meta.get("key"),
            kwargs=job.kwargs or {},
            attempts=job.attempts,
            error=job.error or status.value,
            queue="redis",
        )
    except Exception:  # the database is down: the job stays in Redis (failed) for SAQ's ttl
        log.exception("job_failure_not_recorded", job=job.function, key=job.key)
    else:
        log.error("job_failed", job=job.function, key=job.key, attempts=job.attempts, status=status.value)


def _scheduled(run_at: datetime | None) -> int:
    """SAQ's ``scheduled``: 0 for now, else epoch seconds (rounded up: never early)."""
    if run_at is None or run_at <= clock.now():
        return 0
    return math.ceil(run_at.timestamp())


def _timeout(job_spec: jobs.JobSpec) -> int:
    return max(1, math.ceil(job_spec.timeout_seconds))


def saq_function(job_spec: jobs.JobSpec) -> SaqFunction:
    """SAQ calls ``fn(ctx, **kwargs)`` and finds functions by ``__qualname__``: ours is the job's name."""

    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        with metrics.job_attempt(job_spec.name):
            result = await job_spec.function(**kwargs)
        # SAQ keeps the result as JSON: a job that returns anything else must not fail for it.
        return result if isinstance(result, (str, int, float, bool, type(None))) else None

    run.__name__ = run.__qualname__ = job_spec.name
    return run


@dataclasses.dataclass
class _CronJob(CronJob[Any]):
    """SAQ's cron job, with the retry delay and backoff its enqueue passes on to the job."""

    retry_delay: float | None = None
    retry_backoff: bool | None = None


def cron_jobs(specs: Mapping[str, jobs.JobSpec], schedules: Mapping[str, str]) -> list[CronJob[Any]]:
    """Every periodic job as a SAQ cron job, unique so that one tick runs once across workers."""
    crons: list[CronJob[Any]] = []
    for name, cron in schedules.items():
        job_spec = specs[name]
        crons.append(
            _CronJob(
                function=saq_function(job_spec),
                cron=cron,
                unique=True,
                timeout=_timeout(job_spec),
                retries=job_spec.retries,
                retry_delay=job_spec.backoff_seconds,
                retry_backoff=True,
            )
        )
    return crons


def build_worker(
    queue: RedisQueue,
    *,
    specs: Mapping[str, jobs.JobSpec],
    schedules: Mapping[str, str],
    concurrency: int = 10,
    dequeue_timeout: float = 5.0,
) -> Worker[Any]:
    """A SAQ worker for the jobs (and the schedules) of the domains the runtime was built from."""
    return Worker(
        queue,
        functions=[saq_function(job_spec) for job_spec in specs.values()],
        cron_jobs=cron_jobs(specs, schedules),
        concurrency=concurrency,
        dequeue_timeout=dequeue_timeout,
    )


class RedisRunner:
    """``jobs.enqueue`` into the SAQ queue; ``linli worker`` runs the jobs."""

    def __init__(self, redis: Redis, *, specs: Mapping[str, jobs.JobSpec], name: str = QUEUE_NAME) -> None:
        self.queue = RecordingQueue(redis, name=name)
        self.specs = specs

    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool:
        job_spec = self.specs[name]
        job = Job(
            function=name,
            kwargs=kwargs,  # a Job of its own, so an argument called "key" or "timeout" stays an argument
            scheduled=_scheduled(run_at),
            retries=job_spec.retries,
            retry_delay=job_spec.backoff_seconds,
            retry_backoff=True,
            timeout=_timeout(job_spec),
            meta={"key": key} if key is not None else {},
        )
        if key is not None:
            job.key = key
        return await self.queue.enqueue(job) is not None

    async def drain(self) -> None:
        """Run here, one by one, every job queued now and those they queue (tests); jobs
        scheduled for later, retries waiting out their backoff included, stay queued."""
        worker = build_worker(
            self.queue, specs=self.specs, schedules={}, concurrency=1, dequeue_timeout=_DRAIN_DEQUEUE_SECONDS
        )
        while await worker.process():
            pass
