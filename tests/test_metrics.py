"""The metrics that matter, read from ``/metrics`` as Prometheus reads them, on both databases:
sign-ups by outcome (a refusal with its code), a promotion, a check-in, notices sent and failed
with WeChat's errcode, job attempts, the cache's lookups, the outbox and queue gauges.

Counters are process-wide and other tests run in the same process, so each check is the change
between a scrape before and one after (``backend/core/metrics.py`` says where each is counted).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from backend.accounts.api import Role
from backend.core import jobs
from backend.settings import Settings
from tests import factories
from tests.conftest import RunningApps, app_settings
from tests.fakes.wechat import FakeWechat
from tests.notifications.conftest import KEYWORDS, PROMOTION, REGISTRATION, TEMPLATES, accept, wechat_resident

Client = httpx.AsyncClient
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def app(settings: Settings, running_apps: RunningApps, request: pytest.FixtureRequest) -> Litestar:
    return await running_apps.get(app_settings(settings, request, **TEMPLATES))


async def _no_wait(seconds: float) -> None:
    """Backoffs pass at once."""


@pytest.fixture
async def runner(client: Client, app: Litestar, fake_wechat: FakeWechat) -> AsyncIterator[jobs.ProcessRunner]:
    """Jobs (the deliveries) run in this process, so their counters are this app's."""
    for setting, template_id in TEMPLATES.items():
        fake_wechat.add_template(template_id, KEYWORDS[setting])
    current = app.state.runtime
    process_runner = jobs.ProcessRunner(current.jobs, sleep=_no_wait)
    previous, current.runner = current.runner, process_runner
    try:
        yield process_runner
        await process_runner.drain()
    finally:
        current.runner = previous


async def scrape(client: Client) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in after, f"{name}{labels} is not reported"
    return after[key] - before.get(key, 0.0)


async def test_sign_ups_refusals_promotions_check_ins_and_notices_are_counted(
    client: Client, runner: jobs.ProcessRunner, fake_wechat: FakeWechat
) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)  # the door is open
    event = await factories.published_event(
        tree["street_a"],
        venue,
        capacity=1,
        max_party_size=1,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
    )
    first, second = await wechat_resident(), await wechat_resident()
    await accept(client, fake_wechat, first, REGISTRATION)
    await accept(client, fake_wechat, second, PROMOTION)
    fake_wechat.set_grants(second.openid or "", PROMOTION, 0)  # WeChat has no grant left: 43101
    before = await scrape(client)

    path = f"/api/v1/events/{event.id}/registrations"
    seat = await client.post(path, json={"party_size": 1}, headers=factories.token_for(first))
    line = await client.post(path, json={"party_size": 1}, headers=factories.token_for(second))
    assert (seat.status_code, seat.json()["status"]) == (201, "confirmed")
    assert (line.status_code, line.json()["status"]) == (201, "waitlisted")
    again = await client.post(path, json={"party_size": 1}, headers=factories.token_for(first))
    assert again.status_code == 409, again.text
    refusal_code = again.json()["code"]
    gone = await client.delete(f"/api/v1/registrations/{seat.json()['id']}", headers=factories.token_for(first))
    assert gone.status_code == 200, gone.text
    ticket = await client.get(f"/api/v1/registrations/{line.json()['id']}/ticket", headers=factories.token_for(second))
    scanned = await client.post(
        f"/api/v1/events/{event.id}/check-ins",
        json={"ticket": ticket.json()["ticket"]},
        headers=factories.token_for(organiser),
    )
    assert scanned.status_code == 200, scanned.text
    for _ in range(2):  # a miss, then a hit
        assert (await client.get(f"/api/v1/events/{event.id}")).status_code == 200
    await runner.drain()
    after = await scrape(client)

    assert grew(before, after, "linli_signups_total", outcome="confirmed", code="") == 1
    assert grew(before, after, "linli_signups_total", outcome="waitlisted", code="") == 1
    assert grew(before, after, "linli_signups_total", outcome="refused", code=refusal_code) == 1
    assert grew(before, after, "linli_waitlist_promotions_total") == 1
    assert grew(before, after, "linli_checkins_total") == 1
    assert grew(before, after, "linli_checkin_people_total") == 1
    # The confirmation reached WeChat; the promotion was refused by it (no grant left).
    assert grew(before, after, "linli_notices_total", status="sent") == 1
    assert grew(before, after, "linli_notices_total", status="failed") == 1
    send = "cgi-bin/message/subscribe/send"
    assert grew(before, after, "linli_wechat_calls_total", api=send, outcome="ok") == 1
    assert grew(before, after, "linli_wechat_calls_total", api=send, outcome="error") == 1
    assert grew(before, after, "linli_wechat_errors_total", api=send, errcode="43101") == 1
    assert grew(before, after, "linli_wechat_call_seconds_count", api=send) == 2
    assert grew(before, after, "linli_jobs_total", job="notifications.deliver", outcome="done") >= 2
    assert grew(before, after, "linli_cache_lookups_total", result="hit") >= 1
    assert grew(before, after, "linli_cache_lookups_total", result="miss") >= 1
    # Every signal was delivered after its commit: nothing waits in the outbox.
    assert after[("linli_outbox_backlog", ())] == 0
    assert after[("linli_outbox_oldest_seconds", ())] == 0
    assert ("linli_job_queue_depth", (("state", "queued"),)) in after


async def test_an_undelivered_signal_shows_in_the_outbox_gauges(client: Client, app: Litestar) -> None:
    """A signal whose delivery has not happened yet (the process died after the commit) is the
    backlog the sweeper works through, and its age is what an alert watches."""
    from backend.core.tables import OutboxSignal

    written = datetime.now(UTC) - timedelta(minutes=5)
    await OutboxSignal.insert(
        OutboxSignal(id=uuid.uuid4(), name="events.registration_cancelled", payload={}, created_at=written)
    )
    after = await scrape(client)
    assert after[("linli_outbox_backlog", ())] == 1
    assert 290 < after[("linli_outbox_oldest_seconds", ())] < 3600


@pytest.mark.parametrize("backend", ["postgres"])  # the Redis queue: SQLite mode runs jobs in-process
async def test_the_job_queue_gauges_read_the_shared_queue(client: Client, app: Litestar) -> None:
    """Jobs an instance queued and no worker has taken yet: their number and the oldest one's wait."""
    assert type(app.state.runtime.runner).__name__ == "RedisRunner"
    for _ in range(3):
        assert await jobs.enqueue("notifications.deliver", notice_id=str(uuid.uuid4()))
    after = await scrape(client)
    assert after[("linli_job_queue_depth", (("state", "queued"),))] == 3
    assert after[("linli_job_queue_depth", (("state", "active"),))] == 0
    assert 0 <= after[("linli_job_queue_oldest_seconds", ())] < 600
