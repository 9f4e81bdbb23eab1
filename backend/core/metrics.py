"""The service's own Prometheus metrics, beside Litestar's per-route ones (``linli_requests_*``).

Counters count in the process where the thing happens: sign-ups, promotions and check-ins in
the instance that delivers the signal (right after the commit, or its sweeper later), refusals
in the instance that answers, notices and WeChat calls in whoever runs the delivery job (a
worker, or the instance itself without Redis). Prometheus sums them over every process it
scrapes: the instances on ``/metrics``, each worker on ``linli worker --metrics-port``. Signal
listeners may see a signal twice after a crash (``backend.core.signals``), so a rare signal is
counted twice: these are rates to watch, never the record (the database is).

The gauges (job queue, outbox) are read when Prometheus scrapes an instance
(``backend.core.operations``): every instance reports the same shared queue, so dashboards take
their ``max``.

Label sets known in advance start at zero, so a rate reads 0 rather than nothing before the first
event, and a rule can name them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

SIGNUPS = Counter(
    "linli_signups",
    "Event sign-ups by outcome: confirmed, waitlisted, or refused (with the refusal's code)",
    ["outcome", "code"],
)
PROMOTIONS = Counter("linli_waitlist_promotions", "Places in line that became confirmed seats")
CHECKINS = Counter("linli_checkins", "Tickets scanned at the door (one per registration)")
CHECKIN_PEOPLE = Counter("linli_checkin_people", "People let in at the door (a ticket's party size)")
NOTICES = Counter(
    "linli_notices",
    "Subscribe-message deliveries by how they ended: sent, failed, or skipped_* (no template, no "
    "openid, stale, no budget)",
    ["status"],
)
NOTICES_STRANDED = Counter(
    "linli_notices_stranded", "Deliveries found stranded (never taken on, or their job lost) and queued again"
)
WECHAT_CALLS = Counter(
    "linli_wechat_calls",
    "Calls to WeChat's server API by path and outcome: ok, error (an errcode), unavailable",
    ["api", "outcome"],
)
WECHAT_ERRORS = Counter("linli_wechat_errors", "WeChat's refusals by path and errcode", ["api", "errcode"])
WECHAT_SECONDS = Histogram(
    "linli_wechat_call_seconds",
    "Time of one logical WeChat call, retries included",
    ["api"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
JOBS = Counter("linli_jobs", "Job attempts by job and outcome: done or failed", ["job", "outcome"])
JOB_SECONDS = Histogram(
    "linli_job_seconds",
    "Time of one job attempt",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120),
)
CACHE_LOOKUPS = Counter(
    "linli_cache_lookups", "Cache lookups of public reads: hit, miss, or unavailable (Redis away)", ["result"]
)
QUEUE_DEPTH = Gauge("linli_job_queue_depth", "Jobs in the Redis queue by state: queued, active, scheduled", ["state"])
QUEUE_OLDEST = Gauge(
    "linli_job_queue_oldest_seconds", "How long the oldest job due has waited in the queue (0 when none)"
)
OUTBOX_BACKLOG = Gauge("linli_outbox_backlog", "Signals written but not yet delivered to their listeners")
OUTBOX_OLDEST = Gauge("linli_outbox_oldest_seconds", "Age of the oldest undelivered signal (0 when none)")

SEND_PATH_LABEL = "cgi-bin/message/subscribe/send"


def _preset() -> None:
    for outcome in ("confirmed", "waitlisted"):
        SIGNUPS.labels(outcome=outcome, code="")
    SIGNUPS.labels(outcome="refused", code="event_full")
    for status in ("sent", "failed", "skipped_no_budget"):
        NOTICES.labels(status=status)
    for outcome in ("ok", "error", "unavailable"):
        WECHAT_CALLS.labels(api=SEND_PATH_LABEL, outcome=outcome)
    # 43101: the resident has no subscription left for the template (the commonest refusal).
    WECHAT_ERRORS.labels(api=SEND_PATH_LABEL, errcode="43101")
    WECHAT_SECONDS.labels(api=SEND_PATH_LABEL)
    for result in ("hit", "miss", "unavailable"):
        CACHE_LOOKUPS.labels(result=result)
    for state in ("queued", "active", "scheduled"):
        QUEUE_DEPTH.labels(state=state)


_preset()


def preset_jobs(names: Iterator[str] | list[str]) -> None:
    """Every registered job starts at zero (called with the runtime's job names)."""
    for name in names:
        for outcome in ("done", "failed"):
            JOBS.labels(job=name, outcome=outcome)
        JOB_SECONDS.labels(job=name)


@contextmanager
def job_attempt(name: str) -> Iterator[None]:
    """Time one attempt of a job and count how it ended."""
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "done"
    finally:
        JOB_SECONDS.labels(job=name).observe(time.perf_counter() - started)
        JOBS.labels(job=name, outcome=outcome).inc()


# Refusals worth a counter of their own: operation id -> counter labelled (outcome="refused", code).
_refusals: dict[str, Counter] = {}


def count_refusals(operation_id: str, counter: Counter) -> None:
    """The wiring names operations whose refusals a counter counts (sign-ups: ``SIGNUPS``)."""
    _refusals[operation_id] = counter


def refused(operation_id: object, status: int, code: str) -> None:
    """Called with every problem answer; counts the 4xx of the operations named above."""
    if status < 500 and isinstance(operation_id, str) and operation_id in _refusals:
        _refusals[operation_id].labels(outcome="refused", code=code).inc()
