"""The volunteers demo stays alive: whenever ``linli seed-demo`` runs (every ``scripts/demo``), a
patrol is in progress, the demo volunteer holds a place on it, and the coming week has its evening
patrols, even on a database seeded days before; running it again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx

from backend.core import clock
from backend.core.clock import CITY_TZ
from backend.core.wiring import seed_demo
from backend.domains import DOMAINS
from backend.settings import Settings
from backend.volunteers.demo import PATROL_NAME, _evening
from backend.volunteers.shifts.tables import Shift, ShiftSignup
from backend.volunteers.teams.tables import Checkpoint, Route, Team


async def patrol_shifts() -> list[Shift]:
    team = next(row for row in await Team.objects().output(load_json=True) if row.name == PATROL_NAME)
    return await Shift.objects().where(Shift.team == team.id).order_by(Shift.starts_at)


def evenings_ahead() -> int:
    """Today's evening is still to come before 19:00 in Suzhou; the next six always are."""
    return sum(1 for days in range(7) if _evening(days) > clock.now())


async def in_progress() -> list[Shift]:
    moment = clock.now()
    return [shift for shift in await patrol_shifts() if shift.starts_at <= moment < shift.ends_at]


async def test_a_patrol_is_in_progress_whenever_the_demo_starts(client: httpx.AsyncClient, settings: Settings) -> None:
    summary = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert f"demo patrol shifts: {1 + evenings_ahead()} added" in summary
    [now] = await in_progress()
    assert now.ends_at - clock.now() > timedelta(hours=2, minutes=55)
    assert clock.now() - now.starts_at > timedelta(minutes=55)
    future = [shift for shift in await patrol_shifts() if shift.starts_at > clock.now()]
    assert len(future) == evenings_ahead()  # an evening patrol on each of the next seven days
    count = len(await patrol_shifts())
    again = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert "demo patrol shifts: a patrol in progress and this week's evenings are there" in again
    assert len(await patrol_shifts()) == count

    # The demo volunteer checks in without sharing a location and scans the route's first plate.
    login = await client.post("/api/v1/auth/dev-login", json={"openid": "demo-volunteer"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    checked_in = await client.post(f"/api/v1/shifts/{now.id}/check-in", headers=headers)
    assert checked_in.status_code == 200, checked_in.text
    route = await Route.objects().where(Route.id == now.route).first()
    plate = await Checkpoint.select(Checkpoint.code).where(Checkpoint.route == route.id).order_by(Checkpoint.position)
    scanned = await client.post(f"/api/v1/shifts/{now.id}/checkpoints/{plate[0]['code']}/scan", headers=headers)
    assert scanned.status_code == 200, scanned.text

    # Days later, the same database: the patrol of then is over; starting the demo tops it up.
    # (At 10:00 in Suzhou, between two evening patrols, whatever the hour the test runs at.)
    later_on = datetime.combine(clock.city_today() + timedelta(days=4), time(10, 0), tzinfo=CITY_TZ)
    with clock.frozen(later_on.astimezone(UTC)):
        assert await in_progress() == []
        topped = await seed_demo(DOMAINS, keys=settings.sealing_keys)
        assert "demo patrol shifts:" in topped and "added" in topped
        [later] = await in_progress()
        assert later.id != now.id
        holders = await ShiftSignup.select(ShiftSignup.user).where(ShiftSignup.shift == later.id)
        assert len(holders) == 1 and later.seats_taken == 1
        assert len([shift for shift in await patrol_shifts() if shift.starts_at > clock.now()]) == evenings_ahead()
        count = len(await patrol_shifts())
        await seed_demo(DOMAINS, keys=settings.sealing_keys)
        assert len(await patrol_shifts()) == count
