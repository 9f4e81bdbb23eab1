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
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
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
    use_uvloop,
    workdir,
)
from bench._data import TOPICS, Loader, random_point

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


async def main(args: argparse.Namespace) -> None:
    loop_name = use_uvloop()
    print_header(
        "growth: list, text search (matching and not), near-me at two sizes (no cache)",
        quick=args.quick,
        small=args.small,
        large=args.large,
        registrations=args.registrations,
        residents=args.users,
        requests_per_query=args.requests,
        concurrency=args.concurrency,
        client=f"httpx on {loop_name}",
    )
    table: dict[str, dict[str, dict[str, LoadResult]]] = {}
    with workdir(args.keep) as base:
        if "sqlite" in args.backends:
            table["sqlite"] = await run_backend("sqlite", f"sqlite:///{base / 'growth.sqlite'}", args, base)
        if "postgres" in args.backends:
            with postgres(base) as pg:
                table["postgres"] = await run_backend("postgres", pg.url, args, base)
    print()
    print(f"p95 in ms (concurrency {args.concurrency}, {args.requests} requests each)")
    print(f"  {'':<10} {'query':<8} {'small':>10} {'large':>10} {'large/small':>12}")
    for backend, sizes in table.items():
        for query in QUERIES:
            small, large = sizes["small"][query].percentile(95), sizes["large"][query].percentile(95)
            print(f"  {backend:<10} {query:<8} {small:10.2f} {large:10.2f} {large / small:12.1f}")
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
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.registrations = 300, 3_000, 30_000
        args.users, args.requests = 2_000, 60
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
