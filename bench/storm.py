"""Sign-up storm: 5,000 residents at 200 connections for one 100-seat event, two instances.

Two ``linli serve`` processes (one worker each) share one PostgreSQL and one Redis. Residents
are created up front and hold tokens issued with ``backend.core.auth.issue_token`` and the
instances' secret; each sends one ``POST /api/v1/events/{id}/registrations`` with its own
Idempotency-Key, alternately to either instance. Then the database is read back:

- confirmed seats must be exactly 100 (and the event row must agree);
- queue numbers must be unique, the confirmed places the first 100 of them, and first come,
  first served: a sign-up whose response arrived before another was sent has a smaller number;
- errors (any status but 201, any exception), throughput and latency.

Then ``pgbench`` runs the sign-up transaction itself (lock the resident's row, the conditional
UPDATE of the event's seats and arrival counter, INSERT of the registration) against a second
100-seat event on the same server, and the ratio of the two rates is printed.

    .venv/bin/python -m bench.storm --quick
    .venv/bin/python -m bench.storm
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.core.auth import issue_token
from bench._common import (
    SECRET,
    SHARED_CORES_NOTE,
    LoadResult,
    app_env,
    clients,
    linli,
    postgres,
    postgres_bindir,
    print_header,
    redis,
    run_load,
    serve,
    use_uvloop,
    workdir,
)
from bench._data import Loader


async def make_event(loader: Loader, capacity: int) -> uuid.UUID:
    """A published event with ``capacity`` seats whose registration is open now."""
    venues = await loader.fetch("SELECT * FROM event_venue LIMIT 1")
    [event_id] = await loader.add_events(1, venues, capacity=capacity)
    starts = datetime.now(UTC) + timedelta(days=7)
    await loader.execute(
        "UPDATE event_event SET seats_taken = 0, queue_counter = 0, waitlist_count = 0, max_party_size = 1, "
        "waitlist_enabled = true, starts_at = $1, ends_at = $2 WHERE id = $3",
        starts,
        starts + timedelta(hours=2),
        event_id,
    )
    return event_id


def check_order(result: LoadResult, queue_of: dict[str, int]) -> list[str]:
    """First come, first served, seen from the client: if A's answer arrived before B was sent,
    A's queue number is smaller. (Requests in flight together may be ordered either way.)"""
    problems: list[str] = []
    moments: list[tuple[float, int, int]] = []  # (time, 0 = answer arrived / 1 = sent, queue number)
    for _, sent, done, response in result.responses:
        if response is None or response.status_code != 201:
            continue
        number = queue_of.get(response.json()["id"])
        if number is None:
            problems.append(f"registration {response.json()['id']} answered 201 but is not in the database")
            continue
        moments += [(done, 0, number), (sent, 1, number)]
    highest_answered = 0
    for _, kind, number in sorted(moments):
        if kind == 0:
            highest_answered = max(highest_answered, number)
        elif number <= highest_answered:
            problems.append(f"queue number {number} was handed out after {highest_answered} had already been answered")
    return problems


async def verify(
    loader: Loader, event_id: uuid.UUID, capacity: int, result: LoadResult | None
) -> tuple[list[str], dict[str, int]]:
    """What the database holds for the event, checked; ``result`` is the HTTP side, if any."""
    rows = await loader.fetch(
        "SELECT id, status, queue_number FROM event_registration WHERE event = $1 ORDER BY queue_number", event_id
    )
    [event] = await loader.fetch(
        "SELECT seats_taken, waitlist_count, queue_counter FROM event_event WHERE id = $1", event_id
    )
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    waitlisted = [r for r in rows if r["status"] == "waitlisted"]
    numbers = [r["queue_number"] for r in rows]
    problems = []
    if len(confirmed) != capacity:
        problems.append(f"{len(confirmed)} confirmed seats, expected exactly {capacity}")
    if event["seats_taken"] != len(confirmed):
        problems.append(f"the event row says {event['seats_taken']} seats taken, registrations say {len(confirmed)}")
    if event["waitlist_count"] != len(waitlisted):
        problems.append(f"the event row says {event['waitlist_count']} waiting, registrations say {len(waitlisted)}")
    if len(set(numbers)) != len(numbers):
        problems.append("two registrations share a queue number")
    if (
        confirmed
        and waitlisted
        and max(r["queue_number"] for r in confirmed) > min(r["queue_number"] for r in waitlisted)
    ):
        problems.append("someone who came later holds a seat while someone earlier waits")
    if result is not None:
        if len(rows) != result.completed:
            problems.append(f"{len(rows)} registrations in the database, {result.completed} answered 201")
        queue_of = {str(r["id"]): int(r["queue_number"]) for r in rows}
        problems += check_order(result, queue_of)[:10]
    counts = {
        "confirmed": len(confirmed),
        "waitlisted": len(waitlisted),
        "registrations": len(rows),
        "highest queue number": int(event["queue_counter"]),
    }
    return problems, counts


PGBENCH_SCRIPT = """\
BEGIN;
SELECT 'storm-' || nextval('bench_signup_user') AS openid \\gset
SELECT id AS uid FROM account_user WHERE openid = :openid FOR UPDATE \\gset
UPDATE event_event SET queue_counter = queue_counter + 1, seats_taken = seats_taken + (seats_taken + 1 <= capacity)::int, waitlist_count = waitlist_count + (seats_taken + 1 > capacity)::int WHERE id = '{event}' AND status = 'published' RETURNING queue_counter AS q, CASE WHEN queue_counter <= capacity THEN 'confirmed' ELSE 'waitlisted' END AS st \\gset
INSERT INTO event_registration (id, event, "user", party_size, status, queue_number, created_at, idempotency_key) VALUES (gen_random_uuid(), '{event}', :uid::uuid, 1, :st, :q, now(), :openid);
COMMIT;
"""


def run_pgbench(
    pg_port: int, database: str, event_id: uuid.UUID, transactions: int, clients_n: int, base: Path
) -> tuple[float, str]:
    script = base / "signup.pgbench"
    script.write_text(PGBENCH_SCRIPT.format(event=event_id))
    per_client = max(1, transactions // clients_n)
    command = [
        str(postgres_bindir() / "pgbench"),
        "-n",
        "-M",
        "prepared",
        "-f",
        str(script),
        "-c",
        str(clients_n),
        "-j",
        "2",
        "-t",
        str(per_client),
        "-h",
        "127.0.0.1",
        "-p",
        str(pg_port),
        "-U",
        "linli",
        database,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}")
    return float(match.group(1)), out.stdout


async def main(args: argparse.Namespace) -> None:
    loop_name = use_uvloop()
    print_header(
        "storm: sign-ups for one event across two instances on PostgreSQL and Redis",
        quick=args.quick,
        signups=args.signups,
        seats=args.seats,
        connections=args.concurrency,
        instances=2,
        client=f"httpx on {loop_name}, one process",
        pgbench_clients=args.pgbench_clients,
    )
    with workdir(args.keep) as base, postgres(base) as pg, redis(base) as rd:
        env = app_env(pg.url, rd.url, media=base / "media")
        linli(env, "migrate")
        linli(env, "seed-demo")
        async with Loader(pg.url) as loader:
            users = await loader.add_users(max(args.signups, args.pgbench_transactions), "storm")
            event_id = await make_event(loader, args.seats)
            baseline_event = await make_event(loader, args.seats)
            await loader.analyze()
        signing_up = users[: args.signups]
        sessions = await loader.add_sessions(signing_up, timedelta(hours=1))
        tokens = [
            issue_token(secret=SECRET, user_id=user, kind="resident", session_id=session, ttl_seconds=3600).token
            for user, session in zip(signing_up, sessions, strict=True)
        ]
        path = f"/api/v1/events/{event_id}/registrations"
        with serve(env, base, name="one") as one, serve(env, base, name="two") as two:
            async with clients([one.url, two.url], args.concurrency) as (http_one, http_two):

                async def send(i: int):  # type: ignore[no-untyped-def]
                    http = http_one if i % 2 == 0 else http_two
                    return await http.post(
                        path,
                        json={"party_size": 1},
                        headers={"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": f"storm-{i}"},
                    )

                result = await run_load(
                    "storm: POST registrations",
                    send,
                    concurrency=args.concurrency,
                    total=args.signups,
                    servers=[one, two],
                    ok=lambda r: r.status_code == 201,
                    keep_responses=True,
                )

                async def ping(i: int):  # type: ignore[no-untyped-def]
                    return await (http_one if i % 2 == 0 else http_two).get("/health")

                # The ceiling: the same client, connections and instances, on the cheapest endpoint
                # there is (no database, no Redis). No sign-up rate can exceed it on this machine.
                ceiling = await run_load(
                    "ceiling: GET /health",
                    ping,
                    concurrency=args.concurrency,
                    total=args.signups,
                    servers=[one, two],
                )
        async with Loader(pg.url) as loader:
            problems, counts = await verify(loader, event_id, args.seats, result)
            await loader.execute("CREATE SEQUENCE bench_signup_user")
        tps, pgbench_out = run_pgbench(
            pg.port, "linli_test", baseline_event, args.pgbench_transactions, args.pgbench_clients, base
        )
        async with Loader(pg.url) as loader:
            baseline_problems, baseline_counts = await verify(loader, baseline_event, args.seats, None)
    print(result.line())
    for key, value in counts.items():
        print(f"   {key}: {value}")
    print(f"   errors: {sum(result.errors.values())} {dict(result.errors) if result.errors else ''}")
    print(f"   checks: {'all passed' if not problems else 'FAILED'}")
    for problem in problems:
        print(f"     - {problem}")
    print()
    print(
        f"pgbench, the same sign-up transaction, {args.pgbench_clients} clients: {tps:.1f} transactions/s"
        f" ({baseline_counts['confirmed']} confirmed, {baseline_counts['waitlisted']} waitlisted)"
    )
    for problem in baseline_problems:
        print(f"     - pgbench check: {problem}")
    print(f"storm rate / pgbench rate: {result.rps / tps:.2f}   (goal >= 0.50)")
    print()
    print(ceiling.line())
    print(
        f"   ceiling / pgbench rate: {ceiling.rps / tps:.2f}   (the most the storm ratio could be with this client on these cores)"
    )
    print(f"   storm rate / ceiling: {result.rps / ceiling.rps:.2f}")
    if args.verbose:
        print(pgbench_out)
    print()
    print("note: PostgreSQL runs as tests/servers.py starts it (fsync, synchronous_commit and")
    print("full_page_writes off), for the app and for pgbench alike; the ratio compares like with like.")
    print(SHARED_CORES_NOTE)
    if problems:
        sys.exit(1)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 sign-ups at 50 connections")
    parser.add_argument("--signups", type=int, default=5000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=200, help="connections, split over the two instances")
    parser.add_argument("--pgbench-clients", type=int, default=32)
    parser.add_argument("--pgbench-transactions", type=int, default=5000)
    parser.add_argument("--verbose", action="store_true", help="print pgbench's own report")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args(argv)
    if args.quick:
        args.signups, args.concurrency = min(args.signups, 500), min(args.concurrency, 50)
        args.pgbench_transactions, args.pgbench_clients = (
            min(args.pgbench_transactions, 500),
            min(args.pgbench_clients, 10),
        )
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
