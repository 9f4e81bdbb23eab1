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
import os
import re
import resource
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as redis_client

from backend.core.auth import issue_token
from bench._common import (
    _UNIT_SECONDS,
    SECRET,
    SHARED_CORES_NOTE,
    LoadResult,
    Server,
    app_env,
    clients,
    ensure_wrk,
    linli,
    postgres,
    postgres_bindir,
    print_header,
    process_cpu_seconds,
    redis,
    run_load,
    serve,
    tree_cpu_seconds,
    use_uvloop,
    workdir,
)
from bench._data import Loader
from tests.servers import PostgresServer, RedisServer


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


def samples_of(result: LoadResult) -> list[tuple[float, float, str]]:
    """(sent, answered, registration id) of every 201 the httpx client read."""
    return [
        (sent, done, response.json()["id"])
        for _, sent, done, response in result.responses
        if response is not None and response.status_code == 201
    ]


def check_order(samples: list[tuple[float, float, str]], queue_of: dict[str, int]) -> list[str]:
    """First come, first served, seen from the client: if A's answer arrived before B was sent,
    A's queue number is smaller. (Requests in flight together may be ordered either way.)"""
    problems: list[str] = []
    moments: list[tuple[float, int, int]] = []  # (time, 0 = answer arrived / 1 = sent, queue number)
    for sent, done, registration in samples:
        number = queue_of.get(registration)
        if number is None:
            problems.append(f"registration {registration} answered 201 but is not in the database")
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
    loader: Loader, event_id: uuid.UUID, capacity: int, samples: list[tuple[float, float, str]] | None
) -> tuple[list[str], dict[str, int]]:
    """What the database holds for the event, checked; ``samples`` (sent, answered, registration
    id of each 201) is the HTTP side, if any."""
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
    if samples is not None:
        if len(rows) != len(samples):
            problems.append(f"{len(rows)} registrations in the database, {len(samples)} answered 201")
        queue_of = {str(r["id"]): int(r["queue_number"]) for r in rows}
        problems += check_order(samples, queue_of)[:10]
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


@dataclass
class Costs:
    """CPU seconds of everyone on the machine, and PostgreSQL's and Redis's statement counts."""

    client: float = 0.0
    instances: float = 0.0
    postgres: float = 0.0
    redis: float = 0.0
    statements: int = 0
    redis_commands: int = 0


class Meter:
    """Reads every process's CPU (and the statement counters) before and after a phase."""

    def __init__(self, instances: list[Server], pg: PostgresServer, rd: RedisServer, database_url: str) -> None:
        self.instances, self.pg, self.rd, self.database_url = instances, pg, rd, database_url
        self.postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])

    async def read(self) -> Costs:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        costs = Costs(
            client=time.process_time() + children.ru_utime + children.ru_stime,
            instances=sum(s.cpu_seconds() for s in self.instances),
            postgres=tree_cpu_seconds(self.postmaster),
            redis=process_cpu_seconds(self.rd.process.pid),
        )
        async with Loader(self.database_url) as loader:
            [row] = await loader.fetch(
                "SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT LIKE '%pg_stat_statements%'"
            )
            costs.statements = int(row["calls"])
        connection = redis_client.Redis(host="127.0.0.1", port=self.rd.port)
        try:
            costs.redis_commands = int((await connection.info("stats"))["total_commands_processed"])
        finally:
            await connection.aclose()
        return costs

    @staticmethod
    def spent(before: Costs, after: Costs) -> Costs:
        return Costs(*(getattr(after, f.name) - getattr(before, f.name) for f in fields(Costs)))


def enable_statement_counts(pg: PostgresServer) -> None:
    """pg_stat_statements, for statements per sign-up: preloaded (ALTER SYSTEM, then a restart),
    so tests/servers.py stays as the tests use it."""
    admin = [str(pg.bindir / "psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "linli", "-q", "-c"]
    subprocess.run([*admin, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", "postgres"], check=True)
    pg.restart()
    subprocess.run([*admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "linli_test"], check=True)


async def storm_wrk(
    args: argparse.Namespace, one: Server, two: Server, tokens: list[str], path: str, base: Path, meter: Meter
) -> tuple[LoadResult, list[tuple[float, float, str]], dict[int, float], Costs, LoadResult, Costs, Drained]:
    """The storm through wrk and bench/storm.lua: the result, the (sent, answered, registration)
    samples of its 201s, the send time of each resident's index, what it cost; then the ceiling."""
    wrk = ensure_wrk()
    token_file = base / "tokens.txt"
    token_file.write_text("".join(f"{i} {token}\n" for i, token in enumerate(tokens)))
    logs = base / "storm-logs"
    logs.mkdir()
    addresses = ",".join(s.url.removeprefix("http://") for s in (one, two))
    env = {**os.environ, "STORM_ADDRESSES": addresses, "STORM_THREADS": "2"}
    script = str(Path(__file__).with_name("storm.lua"))

    def run(seconds: int, *extra: str) -> str:
        """wrk until every sign-up is answered (or ``seconds``): a thread of wrk stops when its
        last answer is in, but wrk itself waits out its duration, so it is interrupted (SIGINT:
        it stops and prints its report) once the answer logs are complete."""
        command = [wrk, "-t", "2", "-c", str(args.concurrency), "-d", f"{seconds}s", "--timeout", "120s"]
        command += ["--latency", "-s", script, one.url, "--", *extra]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if extra[0] != "--health":
            while process.poll() is None:
                time.sleep(0.2)
                answered = sum(len(log.read_bytes().splitlines()) for log in logs.glob("answers-*.log"))
                if answered >= len(tokens):
                    process.send_signal(signal.SIGINT)
                    break
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed: {out}{err}")
        return out

    await meter.read()  # warm the meter's own connections' code paths
    before = await meter.read()
    out = await asyncio.to_thread(run, args.wrk_seconds, str(token_file), str(logs), path)
    after = await meter.read()
    costs = Meter.spent(before, after)
    # The listeners the answers did not wait for (inbox notices, cache versions) run after them:
    # the storm's cost in all is read once the outbox is empty.
    answered_at = time.perf_counter()
    await outbox_drained(meter.database_url)
    drained = Drained(Meter.spent(before, await meter.read()), time.perf_counter() - answered_at)
    sent: dict[int, float] = {}
    for log in logs.glob("sent-*.log"):
        for line in log.read_text().splitlines():
            index, moment = line.split()
            sent[int(index)] = float(moment)
    answers: list[tuple[int, str, float]] = []
    for log in logs.glob("answers-*.log"):
        for line in log.read_text().splitlines():
            status, registration, moment = line.split()
            answers.append((int(status), registration, float(moment)))
    result = LoadResult("storm: POST registrations (wrk)", args.concurrency)
    for status, _, _ in answers:
        if status != 201:
            result.errors[f"HTTP {status}"] += 1
    unanswered = len(tokens) - len(answers)
    if unanswered:
        result.errors["no answer"] += unanswered
    socket_errors = re.search(r"Socket errors: .*", out)
    if socket_errors:
        print(f"   wrk (storm, its counts include the keep-alive GET /health): {socket_errors.group(0)}")
    first = min(sent.values()) if sent else 0.0
    last = max((moment for _, _, moment in answers), default=first)
    result.elapsed = last - first
    result.client_cpu, result.server_cpu = costs.client, costs.instances
    pending = [(status, registration, moment) for status, registration, moment in answers if status == 201]
    result.completed = len(pending)
    result.responses = []
    samples_by_id = {registration: moment for _, registration, moment in pending}

    # The ceiling: the same connections and instances on the cheapest endpoint there is.
    before = await meter.read()
    started = time.perf_counter()
    out = await asyncio.to_thread(run, args.ceiling_seconds, "--health")
    elapsed = time.perf_counter() - started
    ceiling_costs = Meter.spent(before, await meter.read())
    ceiling = LoadResult("ceiling: GET /health (wrk)", args.concurrency)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    ceiling.completed = int(total.group(1)) if total else 0
    ceiling.elapsed = float(total.group(2)) * _UNIT_SECONDS[total.group(3)] if total else elapsed
    ceiling.client_cpu, ceiling.server_cpu = ceiling_costs.client, ceiling_costs.instances
    for p, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE):
        ceiling.reported[float(p)] = float(value) * _UNIT_SECONDS[unit] * 1000
    return (
        result,
        [(0.0, moment, registration) for registration, moment in samples_by_id.items()],
        sent,
        costs,
        ceiling,
        ceiling_costs,
        drained,
    )


@dataclass
class Drained:
    """The storm's costs until its last signal was delivered, and how long that took after the
    last answer."""

    costs: Costs
    seconds: float


async def outbox_drained(database_url: str, *, limit_seconds: float = 600) -> None:
    give_up = time.monotonic() + limit_seconds
    async with Loader(database_url) as loader:
        while time.monotonic() < give_up:
            [row] = await loader.fetch("SELECT count(*) AS waiting FROM core_outbox_signal WHERE delivered_at IS NULL")
            if not row["waiting"]:
                return
            await asyncio.sleep(0.2)
    raise RuntimeError("the outbox was not drained in time")


async def main(args: argparse.Namespace) -> None:
    loop_name = use_uvloop()
    print_header(
        "storm: sign-ups for one event across two instances on PostgreSQL and Redis",
        quick=args.quick,
        signups=args.signups,
        seats=args.seats,
        connections=args.concurrency,
        instances=2,
        client="wrk 1 thread per instance + bench/storm.lua" if args.client == "wrk" else f"httpx on {loop_name}",
        pgbench_clients=args.pgbench_clients,
    )
    if args.client == "wrk":
        ensure_wrk()
    with workdir(args.keep) as base, postgres(base) as pg, redis(base) as rd:
        enable_statement_counts(pg)
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
        costs = ceiling_costs = None
        drained: Drained | None = None
        with serve(env, base, name="one") as one, serve(env, base, name="two") as two:
            meter = Meter([one, two], pg, rd, pg.url)
            if args.client == "wrk":
                result, partial, sent, costs, ceiling, ceiling_costs, drained = await storm_wrk(
                    args, one, two, tokens, path, base, meter
                )
            else:
                result, ceiling, costs, ceiling_costs = await storm_httpx(args, one, two, tokens, path, meter)
        async with Loader(pg.url) as loader:
            if args.client == "wrk":
                index_of = {str(user): i for i, user in enumerate(signing_up)}
                user_of = {
                    str(r["id"]): str(r["user"])
                    for r in await loader.fetch('SELECT id, "user" FROM event_registration WHERE event = $1', event_id)
                }
                samples = []
                for _, done, registration in partial:
                    user = user_of.get(registration)
                    started = sent.get(index_of[user], done) if user is not None else done
                    samples.append((started, done, registration))
                    result.latencies.append(done - started)
            else:
                samples = samples_of(result)
            problems, counts = await verify(loader, event_id, args.seats, samples)
            await loader.execute("CREATE SEQUENCE bench_signup_user")
        started_pgbench = tree_cpu_seconds(int((pg.datadir / "postmaster.pid").read_text().split()[0]))
        tps, pgbench_out = run_pgbench(
            pg.port, "linli_test", baseline_event, args.pgbench_transactions, args.pgbench_clients, base
        )
        pgbench_pg_cpu = tree_cpu_seconds(int((pg.datadir / "postmaster.pid").read_text().split()[0])) - started_pgbench
        async with Loader(pg.url) as loader:
            baseline_problems, baseline_counts = await verify(loader, baseline_event, args.seats, None)
    print(result.line())
    for key, value in counts.items():
        print(f"   {key}: {value}")
    print(f"   errors: {sum(result.errors.values())} {dict(result.errors) if result.errors else ''}")
    print(f"   checks: {'all passed' if not problems else 'FAILED'}")
    for problem in problems:
        print(f"     - {problem}")
    print_costs("storm, until the last answer", costs, result)
    if drained is not None:
        print(
            f"   the outbox was empty {drained.seconds:.1f} s after the last answer; counting the listeners that ran meanwhile:"
        )
        print_costs("storm, with the listeners after the answers", drained.costs, result)
    print()
    per_transaction = 1000 * pgbench_pg_cpu / max(1, baseline_counts["registrations"])
    print(
        f"pgbench, the same sign-up transaction, {args.pgbench_clients} clients: {tps:.1f} transactions/s"
        f" ({baseline_counts['confirmed']} confirmed, {baseline_counts['waitlisted']} waitlisted;"
        f" PostgreSQL cpu {per_transaction:.2f} ms/transaction)"
    )
    for problem in baseline_problems:
        print(f"     - pgbench check: {problem}")
    print(f"storm rate / pgbench rate: {result.rps / tps:.2f}   (goal >= 0.30, aim 0.50)")
    print()
    print(ceiling.line())
    print_costs("ceiling", ceiling_costs, ceiling)
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


def print_costs(label: str, costs: Costs | None, result: LoadResult) -> None:
    """Everyone's CPU over the phase, as % of one core and ms per answered request."""
    if costs is None or not result.elapsed:
        return
    answered = max(1, result.completed + sum(result.errors.values()))
    line = "   cpu (% of one core, ms per request):"
    for name in ("client", "instances", "postgres", "redis"):
        seconds = getattr(costs, name)
        line += f"  {name} {100 * seconds / result.elapsed:.0f}% {1000 * seconds / answered:.2f}"
    print(line)
    print(
        f"   {label}: {costs.statements / answered:.1f} PostgreSQL statements and"
        f" {costs.redis_commands / answered:.1f} Redis commands per request"
        " (pg_stat_statements and Redis's total_commands_processed; BEGIN and COMMIT count)"
    )


async def storm_httpx(
    args: argparse.Namespace, one: Server, two: Server, tokens: list[str], path: str, meter: Meter
) -> tuple[LoadResult, LoadResult, Costs, Costs]:
    """The storm through the Python client (``--client httpx``), as before wrk."""
    async with clients([one.url, two.url], args.concurrency) as (http_one, http_two):

        async def send(i: int):  # type: ignore[no-untyped-def]
            http = http_one if i % 2 == 0 else http_two
            return await http.post(
                path,
                json={"party_size": 1},
                headers={"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": f"storm-{i}"},
            )

        before = await meter.read()
        result = await run_load(
            "storm: POST registrations",
            send,
            concurrency=args.concurrency,
            total=args.signups,
            servers=[one, two],
            ok=lambda r: r.status_code == 201,
            keep_responses=True,
        )
        costs = Meter.spent(before, await meter.read())

        async def ping(i: int):  # type: ignore[no-untyped-def]
            return await (http_one if i % 2 == 0 else http_two).get("/health")

        before = await meter.read()
        ceiling = await run_load(
            "ceiling: GET /health", ping, concurrency=args.concurrency, total=args.signups, servers=[one, two]
        )
        ceiling_costs = Meter.spent(before, await meter.read())
    return result, ceiling, costs, ceiling_costs


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 sign-ups at 50 connections")
    parser.add_argument("--signups", type=int, default=5000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=200, help="connections, split over the two instances")
    parser.add_argument("--pgbench-clients", type=int, default=32)
    parser.add_argument("--pgbench-transactions", type=int, default=5000)
    parser.add_argument("--client", choices=("wrk", "httpx"), default="wrk", help="wrk (default) or the Python client")
    parser.add_argument("--wrk-seconds", type=int, default=600, help="wrk's time limit for the storm")
    parser.add_argument("--ceiling-seconds", type=int, default=10, help="how long wrk sends GET /health")
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
