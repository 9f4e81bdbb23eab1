"""Reads: GET /api/v1/events (20 items, English) against a bare endpoint of the same server.

For each database set-up (SQLite with in-process stores; PostgreSQL with Redis; PostgreSQL
without Redis) two server processes run one after the other, each one uvicorn worker serving
``bench.app:app`` (the real app plus /bench/bare and /bench/piccolo; see bench/app.py):

- "cached": the app as it ships; the same list request is answered from the cache.
- "uncached": ``LINLI_BENCH_CACHE=off``: every list is built from the database.

SQLite is also run, uncached, on Piccolo's own engine (a connection per query, as before
``backend/core/db.py`` kept connections open), to measure what that change is worth.

On each, the three endpoints are measured in turn at a fixed concurrency after a warm-up, by wrk
(one thread, a tenth of a core: the server, not the client, sets the pace; each line prints the
client's CPU beside the server's), or with ``--client httpx`` by the Python client, interleaved
over ``--rounds`` so that a machine whose load drifts treats them alike.

    .venv/bin/python -m bench.reads --quick     # smoke run: small sizes, seconds
    .venv/bin/python -m bench.reads             # the recorded run
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    SHARED_CORES_NOTE,
    LoadResult,
    app_env,
    client,
    ensure_wrk,
    get_json,
    linli,
    postgres,
    print_header,
    ratio,
    redis,
    run_load,
    run_wrk,
    serve,
    use_uvloop,
    workdir,
)
from bench._data import Loader

LIST = "/api/v1/events?limit=20&lang=en"
ENDPOINTS = {"bare": "/bench/bare", "piccolo": "/bench/piccolo", "list": LIST}


@dataclass
class Setup:
    name: str
    database_url: str
    redis_url: str = ""
    engine: str = ""  # "piccolo": SQLite on Piccolo's own engine, as before the pooled one


async def seed(database_url: str, events: int) -> None:
    env = app_env(database_url)
    linli(env, "migrate")
    linli(env, "seed-demo")
    async with Loader(database_url) as loader:
        venues = await loader.add_venues(max(20, events // 50))
        await loader.add_events(events, venues)
        await loader.analyze()


async def measure_server(setup: Setup, cached: bool, args: argparse.Namespace, base: Path) -> dict[str, LoadResult]:
    extra = {} if cached else {"LINLI_BENCH_CACHE": "off"}
    if setup.engine:
        extra["LINLI_BENCH_SQLITE_ENGINE"] = setup.engine
    env = app_env(setup.database_url, setup.redis_url, media=base / "media", **extra)
    label = f"{setup.name} {'cached' if cached else 'uncached'}"
    results = {name: LoadResult(f"{label}: {name}", args.concurrency) for name in ENDPOINTS}
    with serve(env, base, asgi_app="bench.app:app", name=label.replace(" ", "-")) as server:
        running = await get_json(server.url, "/bench/cache")
        expected = "VersionedCache" if cached else "UncachedCache"
        assert running["cache"] == expected, f"{label}: the server runs {running['cache']}, expected {expected}"
        if setup.name.startswith("sqlite"):
            engine = "SQLiteEngine" if setup.engine == "piccolo" else "PooledSQLiteEngine"
            assert running["engine"] == engine, f"{label}: the server runs {running['engine']}, expected {engine}"
        page = await get_json(server.url, LIST)
        assert len(page["items"]) == 20, f"{label}: the list has {len(page['items'])} items, not 20"
        async with client(server.url, args.concurrency) as http:
            for round_number in range(args.rounds):
                for name, path in ENDPOINTS.items():
                    warmup = args.warmup if round_number == 0 else 0
                    if args.client == "wrk":
                        results[name] = await run_wrk(
                            results[name].name,
                            server.url + path,
                            concurrency=args.concurrency,
                            duration=args.duration,
                            warmup=warmup,
                            servers=[server],
                        )
                        continue

                    async def send(_: int, path: str = path):  # type: ignore[no-untyped-def]
                        return await http.get(path)

                    result = await run_load(
                        results[name].name,
                        send,
                        concurrency=args.concurrency,
                        duration=args.duration / args.rounds,
                        warmup=warmup,
                        servers=[server],
                    )
                    results[name].merge(result)
    for result in results.values():
        print(result.line())
    return results


async def main(args: argparse.Namespace) -> None:
    loop_name = use_uvloop()
    print_header(
        "reads: GET /api/v1/events?limit=20&lang=en against /bench/bare and /bench/piccolo",
        quick=args.quick,
        events=args.events,
        concurrency=args.concurrency,
        seconds_per_endpoint=args.duration,
        rounds=args.rounds,
        warmup_seconds=args.warmup,
        client=f"httpx on {loop_name}, one process" if args.client == "httpx" else "wrk, one thread",
        server="uvicorn bench.app:app, 1 worker (the options of linli serve)",
    )
    all_results: dict[tuple[str, bool], dict[str, LoadResult]] = {}
    with workdir(args.keep) as base:
        sqlite_url = f"sqlite:///{base / 'linli.sqlite'}"
        await seed(sqlite_url, args.events)
        with postgres(base) as pg, redis(base) as rd:
            await seed(pg.url, args.events)
            setups = [Setup("sqlite", sqlite_url), Setup("postgres+redis", pg.url, rd.url), Setup("postgres", pg.url)]
            if not args.skip_piccolo_engine:
                setups.append(Setup("sqlite-piccolo-engine", sqlite_url, engine="piccolo"))
            for setup in setups:
                for cached in (True, False):
                    if setup.name == "postgres" and not cached and not args.all:
                        continue  # without Redis the uncached path is the postgres+redis one minus a GET
                    if setup.engine and cached:
                        continue  # the engine matters where the database is read
                    all_results[(setup.name, cached)] = await measure_server(setup, cached, args, base)
                    if setup.redis_url:
                        import redis as redis_client

                        redis_client.Redis.from_url(setup.redis_url).flushdb()
    report(all_results)


def report(results: dict[tuple[str, bool], dict[str, LoadResult]]) -> None:
    def get(setup: str, cached: bool, endpoint: str) -> LoadResult | None:
        found = results.get((setup, cached))
        return found[endpoint] if found else None

    def both(label: str, a: LoadResult | None, b: LoadResult | None, goal: str = "") -> None:
        """Throughput ratio, and the same ratio from server CPU per request (b's cost / a's):
        the second holds even when the client, not the server, set the pace."""
        if a is None or b is None:
            return
        print(
            f"  {label:<58} {ratio(a.rps, b.rps):>6}   by server cpu/request: "
            f"{ratio(b.server_ms_per_request, a.server_ms_per_request):>6}{goal}"
        )

    print()
    print("ratios: requests/s, and by server CPU per request (each pair: same server process, same run)")
    for setup in ("sqlite", "postgres+redis", "postgres"):
        both(
            f"{setup}: cached list / bare",
            get(setup, True, "list"),
            get(setup, True, "bare"),
            "   (goal >= 0.70, aim 0.85)",
        )
    both(
        "postgres+redis: uncached list / bare Piccolo",
        get("postgres+redis", False, "list"),
        get("postgres+redis", False, "piccolo"),
        "   (goal >= 0.80)",
    )
    both(
        "postgres: uncached list / bare Piccolo",
        get("postgres", False, "list"),
        get("postgres", False, "piccolo"),
        "   (goal >= 0.80)",
    )
    both("sqlite: uncached list / bare Piccolo", get("sqlite", False, "list"), get("sqlite", False, "piccolo"))
    both(
        "sqlite / postgres+redis: uncached list",
        get("sqlite", False, "list"),
        get("postgres+redis", False, "list"),
        "   (goal >= 0.50)",
    )
    both(
        "sqlite / postgres+redis: bare Piccolo select",
        get("sqlite", True, "piccolo"),
        get("postgres+redis", True, "piccolo"),
    )
    both("sqlite / postgres+redis: cached list", get("sqlite", True, "list"), get("postgres+redis", True, "list"))
    both(
        "sqlite pooled / Piccolo's engine: uncached list",
        get("sqlite", False, "list"),
        get("sqlite-piccolo-engine", False, "list"),
    )
    both(
        "sqlite pooled / Piccolo's engine: bare Piccolo",
        get("sqlite", False, "piccolo"),
        get("sqlite-piccolo-engine", False, "piccolo"),
    )
    both(
        "sqlite on Piccolo's engine / postgres+redis: uncached list",
        get("sqlite-piccolo-engine", False, "list"),
        get("postgres+redis", False, "list"),
    )
    print()
    print(SHARED_CORES_NOTE)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: few events, short runs")
    parser.add_argument("--events", type=int, default=2000, help="published events besides the demo's")
    parser.add_argument("--concurrency", type=int, default=32, help="connections, one request in flight each")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per endpoint and server")
    parser.add_argument("--rounds", type=int, default=3, help="the endpoints take turns this many times")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load first")
    parser.add_argument(
        "--client",
        choices=("httpx", "wrk"),
        default="wrk",
        help="wrk (the default; installed with apt-get when missing and run as root) costs the shared "
        "cores a tenth of a core, so the server sets the pace; it runs one round. httpx, the Python "
        "client, takes a whole core on the cheap endpoints",
    )
    parser.add_argument(
        "--skip-piccolo-engine",
        action="store_true",
        help="do not also run SQLite on Piccolo's own engine (a connection per query), for comparison",
    )
    parser.add_argument("--all", action="store_true", help="also run uncached PostgreSQL without Redis")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args(argv)
    if args.client == "wrk":
        ensure_wrk()
        args.rounds = 1
    if args.quick:
        args.events, args.duration, args.rounds, args.warmup = min(args.events, 200), 1.5, 1, 0.5
        args.concurrency = min(args.concurrency, 16)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
