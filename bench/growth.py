"""Growth: the list, text search and "near me" at a small and a large database, through HTTP.

For SQLite and for PostgreSQL: load the small size (default 1,000 events), measure the p95 of
each query through the API, grow the same database to the large size (default 300,000 events
and 3,000,000 registrations), measure again. Bulk loading bypasses the app: COPY on PostgreSQL,
executemany in batches on SQLite (bench/_data.py Loader); PostgreSQL is then ANALYZEd, as its
autovacuum would, and SQLite is left as the app leaves it.

The server runs ``bench.app:app`` with ``LINLI_BENCH_CACHE=off`` (no cache: every request reaches
the database) and no Redis. Each request picks its own words and point, so nothing repeats.

    .venv/bin/python -m bench.growth --quick
    .venv/bin/python -m bench.growth                       # 1,000 then 300,000 events
    .venv/bin/python -m bench.growth --large 50000 --registrations 500000

Volunteers (issue 21), the same way: 1,000 hours entries and 1,000 points entries for three
teams (30, 100 and 200 members) in this month, then grown to 100,000 volunteers in teams of 20-200
with 10 million hours entries and 1 million points entries over 36 months; activity is
log-normal (most volunteers have few entries, a few very many). Measured through the API with
tokens of real sessions: a volunteer's ledger page and totals (``GET /me/hours``), a coordinator's
view of one volunteer (``GET /teams/{id}/members/{user}/hours``), a team's month as CSV, the
points balance (``GET /me/points``), and the coordinators' queue (``GET /teams/{id}/hours?status=pending``,
a team drawn uniformly; a read, not a goal). The volunteer asking is drawn in proportion to their
entries (the active ones look more often); the team-month uniformly.

    .venv/bin/python -m bench.growth --suites volunteers --hours 1000000 --points 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.core.auth import issue_token
from bench._common import (
    SECRET,
    SHARED_CORES_NOTE,
    LoadResult,
    app_env,
    client,
    get_json,
    linli,
    postgres,
    print_header,
    run_load,
    serve,
    tree_cpu_seconds,
    use_uvloop,
    workdir,
)
from bench._data import TOPICS, Loader, activity, month_starts, random_point
from tests.servers import PostgresServer

WORDS = [word for en, zh in TOPICS for word in (en.split()[0].lower(), zh[:2])]
# Words no title holds: a search that matches nothing must not read every event to say so.
MISSES = ["xylophone", "quokka", "zither", "龙虾", "火锅宴", "滑雪", "スキー", "등산"]
QUERIES = ("list", "search", "miss", "near")


def path_for(query: str, rng: random.Random) -> str:
    if query == "list":
        return "/api/v1/events?limit=20&lang=en"
    if query == "search":
        return f"/api/v1/events?limit=20&lang=en&q={quote(rng.choice(WORDS))}"
    if query == "miss":
        return f"/api/v1/events?limit=20&lang=en&q={quote(rng.choice(MISSES))}"
    lat, lng = random_point(rng)
    return f"/api/v1/events?limit=20&lang=en&near={lat:.5f},{lng:.5f}&radius_m=3000"


async def measure(database_url: str, label: str, args: argparse.Namespace, base: Path) -> dict[str, LoadResult]:
    env = app_env(database_url, media=base / "media", LINLI_BENCH_CACHE="off")
    results: dict[str, LoadResult] = {}
    with serve(env, base, asgi_app="bench.app:app", name=label.replace(" ", "-")) as server:
        assert (await get_json(server.url, "/bench/cache"))["cache"] == "UncachedCache"
        async with client(server.url, args.concurrency) as http:
            for query in QUERIES:
                rng = random.Random(7)

                async def send(_: int, query: str = query, rng: random.Random = rng):  # type: ignore[no-untyped-def]
                    return await http.get(path_for(query, rng))

                await run_load("warm-up", send, concurrency=args.concurrency, total=max(5, args.requests // 10))
                results[query] = await run_load(
                    f"{label}: {query}", send, concurrency=args.concurrency, total=args.requests, servers=[server]
                )
                print(results[query].line())
    return results


async def grow(loader: Loader, events: int, registrations: int, users: int) -> float:
    """Add ``events`` events (at one venue per 300 events, at least 50 venues) and about
    ``registrations`` registrations spread over ``users`` residents; the seconds it took."""
    started = time.perf_counter()
    venues = await loader.fetch("SELECT * FROM event_venue")
    total = await loader.count("event_event") + events
    venues += await loader.add_venues(max(0, max(50, total // 300) - len(venues)))
    user_ids = [r["id"] for r in await loader.fetch("SELECT id FROM account_user WHERE openid LIKE 'growth-%'")]
    if len(user_ids) < users:
        user_ids += await loader.add_users(users - len(user_ids), f"growth-{len(user_ids)}")
    if events > 0:
        per_event = min(registrations // events, len(user_ids), 100)
        ids = await loader.add_events(events, venues, registrations_per_event=per_event)
        if per_event:
            await loader.add_registrations(ids, user_ids, per_event)
    await loader.analyze()
    return time.perf_counter() - started


async def run_backend(
    name: str, database_url: str, args: argparse.Namespace, base: Path
) -> dict[str, dict[str, LoadResult]]:
    env = app_env(database_url)
    linli(env, "migrate")
    linli(env, "seed-demo")
    sizes: dict[str, dict[str, LoadResult]] = {}
    async with Loader(database_url) as loader:
        demo = await loader.count("event_event")
        ratio = args.registrations / args.large
        seconds = await grow(loader, args.small - demo, int((args.small - demo) * ratio), args.users)
        counts = (await loader.count("event_event"), await loader.count("event_registration"))
    print(f"{name}: loaded {counts[0]} events, {counts[1]} registrations in {seconds:.1f}s")
    sizes["small"] = await measure(database_url, f"{name} {counts[0]} events", args, base)
    async with Loader(database_url) as loader:
        more = args.large - counts[0]
        seconds = await grow(loader, more, args.registrations - counts[1], args.users)
        counts = (await loader.count("event_event"), await loader.count("event_registration"))
    print(f"{name}: grown to {counts[0]} events, {counts[1]} registrations in {seconds:.1f}s")
    sizes["large"] = await measure(database_url, f"{name} {counts[0]} events", args, base)
    return sizes


# --- volunteers, hours and points ---------------------------------------------------------------

VOLUNTEER_QUERIES = ("hours", "ledger", "csv", "points", "queue")
SMALL_TEAMS = (30, 100, 200)


@dataclass
class Volunteering:
    """Who is in the database (all loaded by this bench) and how much each has, to draw requests."""

    teams: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (team, coordinator)
    places: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (user, team, coordinator)
    hours: list[int] = field(default_factory=list)  # entries per place, parallel to places
    points: list[int] = field(default_factory=list)
    months: list[str] = field(default_factory=list)  # YYYY-MM with entries

    async def add_people(self, loader: Loader, sizes: list[int]) -> None:
        users = await loader.add_users(sum(sizes), f"volunteer-{len(self.places)}")
        await loader.add_profiles(users)
        rosters, start = [], 0
        for size in sizes:
            rosters.append(users[start : start + size])
            start += size
        team_ids = await loader.add_teams(rosters, first=len(self.teams))
        for team, roster in zip(team_ids, rosters, strict=True):
            self.teams.append((team, roster[0]))
            self.places += [(user, team, roster[0]) for user in roster]
        self.hours += [0] * len(users)
        self.points += [0] * len(users)

    async def add_entries(self, loader: Loader, hours: int, points: int, months: int) -> None:
        starts = month_starts(months)
        hours_counts = activity(loader.rng, len(self.places), hours, cap=60 * months)
        points_counts = activity(loader.rng, len(self.places), points, sigma=1.0, cap=40 * months)
        community = (await loader.template("volunteer_team"))["community"]
        async with loader.bulk("volunteer_hours_entry", "inclusion_point_entry"):
            await loader.add_hours(self.places, hours_counts, starts)
            await loader.add_points([user for user, _, _ in self.places], points_counts, starts, community)
        self.hours = [a + b for a, b in zip(self.hours, hours_counts, strict=True)]
        self.points = [a + b for a, b in zip(self.points, points_counts, strict=True)]
        self.months = sorted({*self.months, *(first.strftime("%Y-%m") for first in starts)})


# The volunteer reads' SQL as the app sends it (Piccolo's joins for names left out), to print their
# plans: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.
PLANS = {
    "hours totals": 'SELECT status, SUM(minutes) FROM volunteer_hours_entry WHERE "user" = $1 GROUP BY status',
    "hours page": 'SELECT * FROM volunteer_hours_entry WHERE "user" = $1 ORDER BY created_at DESC, id DESC LIMIT 21',
    "ledger rows": 'SELECT * FROM volunteer_hours_entry WHERE team = $2 AND "user" = $1 ORDER BY created_at DESC, id DESC',
    "month csv": "SELECT * FROM volunteer_hours_entry WHERE team = $2 AND service_date >= $3 AND service_date < $4 "
    "ORDER BY service_date, created_at, id",
    "queue": "SELECT * FROM volunteer_hours_entry WHERE team = $2 AND status = 'pending' "
    "ORDER BY created_at DESC, id DESC LIMIT 200",
    "points balance": 'SELECT SUM(points) FROM inclusion_point_entry WHERE "user" = $5',
    "points due": 'SELECT "user", SUM(points) FROM inclusion_point_entry WHERE "user" = $5 AND points > 0 '
    'AND expires_at IS NOT NULL AND expires_at <= $6 GROUP BY "user"',
    "points used": 'SELECT "user", SUM(points) FROM inclusion_point_entry WHERE "user" = $5 '
    "AND (reason IN ('redemption', 'redemption_refund', 'expiry') OR points < 0) GROUP BY \"user\"",
    "points page": 'SELECT * FROM inclusion_point_entry WHERE "user" = $5 ORDER BY created_at DESC, id DESC LIMIT 20',
}


async def print_plans(loader: Loader, world: Volunteering, label: str) -> None:
    """The plans of the volunteer reads for the busiest volunteer (and their team's busiest month)
    and the resident with the most points."""
    busiest = max(range(len(world.places)), key=world.hours.__getitem__)
    user, team, _ = world.places[busiest]
    points_user = world.places[max(range(len(world.places)), key=world.points.__getitem__)][0]
    months = await loader.fetch(
        "SELECT service_date FROM volunteer_hours_entry WHERE team = $1 ORDER BY service_date DESC LIMIT 1", team
    )
    last = months[0]["service_date"] if months else datetime.now(UTC).date()
    if isinstance(last, str):
        last = date.fromisoformat(last)
    first = last.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    values = (user, team, first, following, points_user, datetime.now(UTC) + timedelta(days=30))
    print(f"{label}: plans for the volunteer with {world.hours[busiest]} hours entries, {first:%Y-%m} of their team,")
    print(f"  and the resident with {max(world.points)} points entries")
    for name, sql in PLANS.items():
        used = sorted({int(n) for n in re.findall(r"\$(\d)", sql)})
        numbered = re.sub(r"\$(\d)", lambda m, used=used: f"${used.index(int(m.group(1))) + 1}", sql)
        args = [values[n - 1] for n in used]
        if loader.is_postgres:
            rows = await loader.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {numbered}", *args)
            lines = [row["QUERY PLAN"] for row in rows]
        else:
            rows = await loader.fetch(f"EXPLAIN QUERY PLAN {numbered}", *args)
            lines = [row["detail"] for row in rows]
        print(f"  {name}:")
        for line in lines:
            print(f"      {line}")


def team_sizes(rng: random.Random, people: int) -> list[int]:
    """Teams of 20-200 members (uniform) holding ``people`` volunteers."""
    sizes: list[int] = []
    while sum(sizes) < people:
        sizes.append(min(rng.randint(20, 200), people - sum(sizes)))
    if len(sizes) > 1 and sizes[-1] < 20:
        last = sizes.pop()
        sizes[-1] += last
    return sizes


async def grow_volunteers(
    loader: Loader, world: Volunteering, *, volunteers: int, hours: int, points: int, months: int
) -> float:
    started = time.perf_counter()
    more = volunteers - len(world.places)
    if more > 0:
        sizes = list(SMALL_TEAMS) if not world.places else team_sizes(loader.rng, more)
        await world.add_people(loader, sizes)
    await world.add_entries(loader, hours, points, months)
    await loader.analyze("volunteer_hours_entry", "inclusion_point_entry")
    return time.perf_counter() - started


async def volunteer_requests(
    loader: Loader, world: Volunteering, count: int, seed: int = 11, full_pages: int = 0
) -> dict[str, list[tuple[str, str]]]:
    """``count`` (path, token) pairs per query, drawn once, with a session and token per person asking."""
    rng = random.Random(seed)
    indexes = range(len(world.places))
    by_hours = rng.choices(indexes, weights=[(h or 0.01) if h >= full_pages else 0 for h in world.hours], k=count)
    by_points = rng.choices(indexes, weights=[p or 0.01 for p in world.points], k=count)
    team_months = [(rng.choice(world.teams), rng.choice(world.months)) for _ in range(count)]
    asking = {world.places[i][0] for i in (*by_hours, *by_points)} | {world.places[i][2] for i in by_hours}
    asking |= {coordinator for (_, coordinator), _ in team_months}
    people = sorted(asking)
    sessions = await loader.add_sessions(people, timedelta(hours=6))
    token = {
        user: issue_token(secret=SECRET, user_id=user, kind="resident", session_id=session, ttl_seconds=6 * 3600).token
        for user, session in zip(people, sessions, strict=True)
    }
    plan: dict[str, list[tuple[str, str]]] = {query: [] for query in VOLUNTEER_QUERIES}
    for i in by_hours:
        user, team, coordinator = world.places[i]
        plan["hours"].append(("/api/v1/me/hours?limit=20", token[user]))
        plan["ledger"].append((f"/api/v1/teams/{team}/members/{user}/hours", token[coordinator]))
    for i in by_points:
        plan["points"].append(("/api/v1/me/points?limit=20", token[world.places[i][0]]))
    for (team, coordinator), month in team_months:
        plan["csv"].append((f"/api/v1/teams/{team}/hours.csv?month={month}", token[coordinator]))
        plan["queue"].append((f"/api/v1/teams/{team}/hours?status=pending", token[coordinator]))
    pending: dict[uuid.UUID, int] = {}
    for (team, _), _ in team_months:
        if team not in pending:
            pending[team] = await loader.count_where("volunteer_hours_entry", "team = $1 AND status = 'pending'", team)
    print(
        f"  answers' sizes: /me/hours pages {sum(min(20, world.hours[i]) for i in by_hours) / count:.1f} entries"
        f" (of {sum(world.hours[i] for i in by_hours) / count:.0f} the asker has),"
        f" ledgers {sum(world.hours[i] for i in by_hours) / count:.0f},"
        f" /me/points pages {sum(min(20, world.points[i]) for i in by_points) / count:.1f},"
        f" queues {sum(min(200, pending[team]) for (team, _), _ in team_months) / count:.1f}",
        flush=True,
    )
    return plan


async def csv_rows(loader: Loader, world: Volunteering, plan: dict[str, list[tuple[str, str]]]) -> str:
    """How big the CSVs asked for are: entries per CSV and per member and month, on average over the
    plan's requests, so that two sizes can be seen to be like for like (or not)."""
    members: dict[str, int] = {}
    for _, team_id, _ in world.places:
        members[str(team_id)] = members.get(str(team_id), 0) + 1
    counted: dict[tuple[str, str], int] = {}
    rows = per_member = 0.0
    for path, _ in plan["csv"]:
        found = re.fullmatch(r"/api/v1/teams/([^/]+)/hours\.csv\?month=(\d{4}-\d{2})", path)
        assert found is not None
        team, month = found.group(1), found.group(2)
        if (team, month) not in counted:
            first = date.fromisoformat(f"{month}-01")
            following = (first + timedelta(days=32)).replace(day=1)
            counted[team, month] = await loader.count_where(
                "volunteer_hours_entry",
                "team = $1 AND service_date >= $2 AND service_date < $3",
                uuid.UUID(team),
                first,
                following,
            )
        rows += counted[team, month]
        per_member += counted[team, month] / members[team]
    n = max(1, len(plan["csv"]))
    return f"{rows / n:.1f} entries per CSV, {per_member / n:.2f} per member and month"


def database_cpu(pg: PostgresServer | None) -> float:
    """PostgreSQL's CPU seconds so far (the postmaster and its backends); 0 for SQLite, whose work is
    the server's own."""
    if pg is None:
        return 0.0
    return tree_cpu_seconds(int((pg.datadir / "postmaster.pid").read_text().split()[0]))


async def measure_volunteers(
    database_url: str,
    label: str,
    plan: dict[str, list[tuple[str, str]]],
    args: argparse.Namespace,
    base: Path,
    pg: PostgresServer | None = None,
) -> dict[str, LoadResult]:
    """Each query's load; PostgreSQL's CPU per request is added to the result's server CPU (and
    printed apart), so that both databases' figures hold the database's work."""
    env = app_env(database_url, media=base / "media", LINLI_BENCH_CACHE="off")
    results: dict[str, LoadResult] = {}
    with serve(env, base, asgi_app="bench.app:app", name=label.replace(" ", "-")) as server:
        async with client(server.url, args.concurrency) as http:
            for query in VOLUNTEER_QUERIES:
                requests = plan[query]

                async def send(i: int, requests: list[tuple[str, str]] = requests):  # type: ignore[no-untyped-def]
                    path, token = requests[i % len(requests)]
                    return await http.get(path, headers={"Authorization": f"Bearer {token}"})

                warm = max(5, args.requests // 10)
                # Warm up on the plan's tail, so the measured requests (its head) are not pre-read.
                await run_load(
                    "warm-up",
                    lambda i, send=send, last=len(requests) - 1: send(last - i),  # type: ignore[misc]
                    concurrency=args.concurrency,
                    total=warm,
                )
                before = database_cpu(pg)
                result = await run_load(
                    f"{label}: {query}", send, concurrency=args.concurrency, total=args.requests, servers=[server]
                )
                print(result.line())
                if pg is not None:
                    spent = database_cpu(pg) - before
                    print(f"{'':<40} PostgreSQL cpu {1000 * spent / max(1, result.completed):.2f} ms/req (added below)")
                    result.server_cpu += spent
                results[query] = result
    return results


async def run_volunteers(
    name: str, database_url: str, args: argparse.Namespace, base: Path, migrated: bool, pg: PostgresServer | None = None
) -> dict[str, dict[str, LoadResult]]:
    env = app_env(database_url)
    if not migrated:
        linli(env, "migrate")
        linli(env, "seed-demo")
    world = Volunteering()
    sizes: dict[str, dict[str, LoadResult]] = {}
    async with Loader(database_url, seed=3) as loader:
        seconds = await grow_volunteers(
            loader, world, volunteers=sum(SMALL_TEAMS), hours=args.small_entries, points=args.small_entries, months=1
        )
        counts = await volunteer_counts(loader)
        plan = await volunteer_requests(loader, world, args.requests, full_pages=args.full_pages)
        print(f"{name}: the team month CSVs asked for hold {await csv_rows(loader, world, plan)}")
        if args.plans:
            await print_plans(loader, world, f"{name} {counts['hours']} hours")
    print(f"{name}: loaded {counts} in {seconds:.1f}s; busiest volunteer {max(world.hours)} hours entries")
    sizes["small"] = await measure_volunteers(database_url, f"{name} {counts['hours']} hours", plan, args, base, pg)
    async with Loader(database_url, seed=4) as loader:
        seconds = await grow_volunteers(
            loader,
            world,
            volunteers=args.volunteers,
            hours=args.hours - counts["hours"],
            points=args.points - counts["points"],
            months=args.months,
        )
        counts = await volunteer_counts(loader)
        plan = await volunteer_requests(loader, world, args.requests, full_pages=args.full_pages)
        print(f"{name}: the team month CSVs asked for hold {await csv_rows(loader, world, plan)}")
        if args.plans:
            await print_plans(loader, world, f"{name} {counts['hours']} hours")
    print(f"{name}: grown to {counts} in {seconds:.1f}s; busiest volunteer {max(world.hours)} hours entries")
    sizes["large"] = await measure_volunteers(database_url, f"{name} {counts['hours']} hours", plan, args, base, pg)
    return sizes


async def volunteer_counts(loader: Loader) -> dict[str, int]:
    return {
        "volunteers": await loader.count("volunteer_profile"),
        "teams": await loader.count("volunteer_team"),
        "hours": await loader.count("volunteer_hours_entry"),
        "points": await loader.count("inclusion_point_entry"),
    }


def print_table(table: dict[str, dict[str, dict[str, LoadResult]]], queries: tuple[str, ...]) -> None:
    print(f"  {'':<10} {'query':<8} {'small':>10} {'large':>10} {'large/small':>12} {'cpu ms small':>13} {'large':>7}")
    for backend, sizes in table.items():
        for query in queries:
            small, large = sizes["small"][query], sizes["large"][query]
            p_small, p_large = small.percentile(95), large.percentile(95)
            print(
                f"  {backend:<10} {query:<8} {p_small:10.2f} {p_large:10.2f} {p_large / p_small:12.2f}"
                f" {small.server_ms_per_request:13.2f} {large.server_ms_per_request:7.2f}"
            )


async def main(args: argparse.Namespace) -> None:
    loop_name = use_uvloop()
    print_header(
        "growth: list, text search (matching and not), near-me; volunteers' hours and points (no cache)",
        quick=args.quick,
        small=args.small,
        large=args.large,
        registrations=args.registrations,
        residents=args.users,
        requests_per_query=args.requests,
        concurrency=args.concurrency,
        suites=args.suites,
        volunteers=args.volunteers,
        hours_entries=args.hours,
        points_entries=args.points,
        months=args.months,
        client=f"httpx on {loop_name}",
    )
    table: dict[str, dict[str, dict[str, LoadResult]]] = {}
    people: dict[str, dict[str, dict[str, LoadResult]]] = {}
    suites = args.suites.split(",")
    with workdir(args.keep) as base:
        if "sqlite" in args.backends:
            url = f"sqlite:///{base / 'growth.sqlite'}"
            if "events" in suites:
                table["sqlite"] = await run_backend("sqlite", url, args, base)
            if "volunteers" in suites:
                people["sqlite"] = await run_volunteers("sqlite", url, args, base, migrated="events" in suites)
        if "postgres" in args.backends:
            with postgres(base) as pg:
                if "events" in suites:
                    table["postgres"] = await run_backend("postgres", pg.url, args, base)
                if "volunteers" in suites:
                    people["postgres"] = await run_volunteers(
                        "postgres", pg.url, args, base, migrated="events" in suites, pg=pg
                    )
    print()
    print(f"p95 in ms and server CPU ms per request (concurrency {args.concurrency}, {args.requests} requests each)")
    if table:
        print(f"events: {args.small} then {args.large}")
        print_table(table, QUERIES)
    if people:
        print(
            f"volunteers: {args.small_entries} hours and points entries, then {args.hours} hours and {args.points} points"
        )
        print_table(people, VOLUNTEER_QUERIES)
    print()
    print(SHARED_CORES_NOTE)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 then 3,000 events")
    parser.add_argument("--small", type=int, default=1_000, help="events at the small size (demo events included)")
    parser.add_argument("--large", type=int, default=300_000, help="events at the large size")
    parser.add_argument("--registrations", type=int, default=3_000_000, help="registrations at the large size")
    parser.add_argument("--users", type=int, default=100_000, help="residents the registrations are spread over")
    parser.add_argument("--requests", type=int, default=1_000, help="measured requests per query and size")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--suites", default="events,volunteers", help="events, volunteers, or both")
    parser.add_argument("--small-entries", type=int, default=1_000, help="hours and points entries at the small size")
    parser.add_argument("--volunteers", type=int, default=100_000, help="volunteers at the large size")
    parser.add_argument("--hours", type=int, default=10_000_000, help="hours entries at the large size")
    parser.add_argument("--points", type=int, default=1_000_000, help="points entries at the large size")
    parser.add_argument("--months", type=int, default=36, help="months of history at the large size")
    parser.add_argument(
        "--full-pages",
        type=int,
        default=0,
        help="ask /me/hours and the ledger only for volunteers with at least this many hours entries "
        "(20: every page full, to compare a small database with a large one like for like)",
    )
    parser.add_argument("--plans", action="store_true", help="print the volunteer reads' query plans at each size")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.registrations = 300, 3_000, 30_000
        args.users, args.requests = 2_000, 60
        args.volunteers, args.hours, args.points, args.months = 2_000, 30_000, 6_000, 12
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
