"""What every benchmark shares: the machine, throwaway servers, the app under uvicorn, and a
load generator that measures correctly (bulk data is in ``bench/_data.py``).

The load generator is an asyncio + httpx client with a fixed number of connections, each running
one request at a time. It warms up first (nothing from the warm-up is counted), counts a request
when its response has been read in full, takes latency percentiles from every sample (no
histogram buckets), counts errors (exceptions and unexpected statuses) apart from successes, and
reports how much CPU it used itself: the client shares the machine with the server, so a client
near 100% of one core means the figure is the client's limit, not the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from tests.servers import PostgresServer, RedisServer, free_port, start_postgres, start_redis  # noqa: E402

PYTHON = sys.executable
SECRET = "bench-secret-key-that-is-long-enough-0123456789abcdef"
SHARED_CORES_NOTE = (
    f"note: client and server share this machine's {os.cpu_count()} cores; "
    "'client cpu' near 100% means the client, not the server, set the pace"
)


def use_uvloop() -> str:
    """The client runs on uvloop when it is there (uvicorn[standard] brings it), like the server."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


# --- the machine ------------------------------------------------------------------------------


def _first(path: str, prefix: str) -> str:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    return "?"


def _version(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not found"
    return out.splitlines()[0] if out else "?"


def postgres_bindir() -> Path:
    from tests.servers import _postgres_bindir

    return _postgres_bindir()


def machine() -> dict[str, str]:
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    try:
        pg = _version([str(postgres_bindir() / "postgres"), "--version"])
    except Exception:
        pg = "not found"
    return {
        "cpu": f"{_first('/proc/cpuinfo', 'model name')} x {os.cpu_count()} logical cores",
        "memory": f"{int(mem_kb) // 1024} MiB" if mem_kb.isdigit() else "?",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "redis": _version(["redis-server", "--version"]),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def print_header(title: str, *, quick: bool, load: bool = True, **params: Any) -> None:
    print(f"== {title}{'  (QUICK SMOKE RUN: small sizes, figures are not results)' if quick else ''}")
    for key, value in machine().items():
        print(f"   {key}: {value}")
    for key, value in params.items():
        print(f"   {key}: {value}")
    if load:
        print(f"   {SHARED_CORES_NOTE}")
    print()


# --- throwaway servers ------------------------------------------------------------------------


@contextlib.contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        if not keep:
            subprocess.run(["rm", "-rf", str(path)], check=False)


@contextlib.contextmanager
def postgres(base: Path) -> Iterator[PostgresServer]:
    """tests/servers.py's throwaway PostgreSQL (fsync off, as in the tests: see bench/README.md)."""
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def redis(base: Path) -> Iterator[RedisServer]:
    server = start_redis(base)
    try:
        yield server
    finally:
        server.stop()


def app_env(database_url: str, redis_url: str = "", media: Path | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LINLI_ENV": "development",  # seed-demo refuses production; nothing else here depends on it
        "LINLI_DATABASE_URL": database_url,
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    if media is not None:
        env["LINLI_MEDIA_ROOT"] = str(media)
    env.update(extra)
    return env


def linli(env: dict[str, str], *args: str) -> str:
    """Run a ``linli`` command (``python -m backend.cli``); its output, or the failure."""
    result = subprocess.run([PYTHON, "-m", "backend.cli", *args], cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"linli {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(env: dict[str, str], log_dir: Path, *, asgi_app: str | None = None, name: str = "server") -> Iterator[Server]:
    """One server process with one worker. ``asgi_app=None`` runs ``linli serve`` itself; otherwise
    uvicorn serves ``asgi_app`` with the options ``linli serve`` passes (see backend/cli.py)."""
    port = free_port()
    if asgi_app is None:
        command = [PYTHON, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    else:
        command = [
            PYTHON,
            "-m",
            "uvicorn",
            asgi_app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--proxy-headers",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    log = log_dir / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(server: Server, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within {timeout}s:\n{server.log.read_text()[-3000:]}")


# --- the load generator ---------------------------------------------------------------------


Send = Callable[[int], Awaitable[httpx.Response]]


@dataclass
class LoadResult:
    name: str
    concurrency: int
    completed: int = 0  # successful responses read in full
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0  # from the first request sent to the last response read
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    responses: list[tuple[int, float, float, httpx.Response | None]] = field(default_factory=list)
    # Percentiles a tool reported itself (wrk), in ms, when the samples are not ours.
    reported: dict[float, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    @property
    def server_ms_per_request(self) -> float:
        """Server CPU per answered request: what the server spends, whatever the client's pace."""
        answered = self.completed + sum(self.errors.values())
        return 1000 * self.server_cpu / answered if answered and self.server_cpu else float("nan")

    def percentile(self, p: float) -> float:
        """Nearest rank over every sample, in milliseconds."""
        if not self.latencies:
            return self.reported.get(p, float("nan"))
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    def merge(self, other: LoadResult) -> None:
        assert not other.reported, "percentiles reported by a tool cannot be merged"
        self.completed += other.completed
        self.errors.update(other.errors)
        self.elapsed += other.elapsed
        self.latencies.extend(other.latencies)
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" {dict(self.errors)}" if errors else ""
        server = (
            f", server cpu {100 * self.server_cpu / self.elapsed:.0f}% = {self.server_ms_per_request:.2f} ms/req"
            if self.elapsed and self.server_cpu
            else ""
        )
        return (
            f"{self.name:<40} {self.rps:9.1f} req/s  p50 {self.percentile(50):7.2f} ms  p95 {self.percentile(95):7.2f} ms"
            f"  p99 {self.percentile(99):7.2f} ms  n={self.completed} errors={errors}{detail}"
            f"  (client cpu {100 * self.client_cpu / self.elapsed if self.elapsed else 0:.0f}%{server})"
        )


def _ok(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 300


async def run_load(
    name: str,
    send: Send,
    *,
    concurrency: int,
    duration: float | None = None,
    total: int | None = None,
    warmup: float = 0.0,
    servers: Sequence[Server] = (),
    ok: Callable[[httpx.Response], bool] = _ok,
    keep_responses: bool = False,
) -> LoadResult:
    """``concurrency`` workers, each sending one request at a time: for ``duration`` seconds, or
    until ``total`` requests (numbered 0..total-1, each sent once) have been answered."""
    assert (duration is None) != (total is None), "give a duration or a total"
    if warmup > 0:
        await _drive(LoadResult(name, concurrency), send, concurrency, warmup, None, ok, False)
    result = LoadResult(name, concurrency)
    cpu0, server0 = time.process_time(), sum(s.cpu_seconds() for s in servers)
    await _drive(result, send, concurrency, duration, total, ok, keep_responses)
    result.client_cpu = time.process_time() - cpu0
    result.server_cpu = sum(s.cpu_seconds() for s in servers) - server0
    return result


async def _drive(
    result: LoadResult,
    send: Send,
    concurrency: int,
    duration: float | None,
    total: int | None,
    ok: Callable[[httpx.Response], bool],
    keep: bool,
) -> None:
    issued = 0
    start = time.perf_counter()
    deadline = start + duration if duration is not None else math.inf
    last_done = start

    async def worker() -> None:
        nonlocal issued, last_done
        while True:
            if total is not None and issued >= total:
                return
            if time.perf_counter() >= deadline:
                return
            index = issued
            issued += 1
            sent = time.perf_counter()
            try:
                response = await send(index)
            except Exception as error:
                done = time.perf_counter()
                result.errors[type(error).__name__] += 1
                if keep:
                    result.responses.append((index, sent, done, None))
            else:
                done = time.perf_counter()
                if ok(response):
                    result.completed += 1
                    result.latencies.append(done - sent)
                else:
                    result.errors[f"HTTP {response.status_code}"] += 1
                if keep:
                    result.responses.append((index, sent, done, response))
            last_done = max(last_done, done)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = last_done - start


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing and we may (root with
    apt-get), as ``scripts/test`` installs PostgreSQL and Redis."""
    if not wrk_available() and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk) ...", flush=True)
        quiet = {"capture_output": True, "check": False}
        subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], **quiet)  # type: ignore[call-overload]
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("this bench needs wrk (Debian: apt-get install wrk)")
    return path


def tree_cpu_seconds(root: int) -> float:
    """CPU of a process and its live children (PostgreSQL's postmaster and its backends), with
    what its children that have exited already spent (cutime, cstime)."""
    try:
        fields = Path(f"/proc/{root}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    total = sum(int(f) for f in fields[11:15])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            child = stat.read_text().rsplit(")", 1)[1].split()
            if int(child[1]) == root:
                total += int(child[11]) + int(child[12])
    return total / os.sysconf("SC_CLK_TCK")


async def run_wrk(
    name: str,
    url: str,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
    servers: Sequence[Server] = (),
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """The same measurement with wrk (C, one thread), for a client that costs the server's
    machine less than Python does. wrk reports p50/p75/p90/p99 itself (no p95)."""
    headers = {"Accept-Encoding": "gzip, deflate", **(headers or {})}  # as httpx sends
    flags = [item for key, value in headers.items() for item in ("-H", f"{key}: {value}")]

    async def wrk(seconds: float) -> str:
        # In a thread: asyncio's own subprocesses need a child watcher, which the uvloop policy
        # set by use_uvloop() does not give the loop that was already running.
        command = [
            "wrk",
            "-t",
            "1",
            "-c",
            str(concurrency),
            "-d",
            f"{max(1, round(seconds))}s",
            "--latency",
            *flags,
            url,
        ]
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stdout}{done.stderr}")
        return done.stdout

    if warmup > 0:
        await wrk(warmup)
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server0 = sum(s.cpu_seconds() for s in servers)
    out = await wrk(duration)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = LoadResult(name, concurrency)
    result.server_cpu = sum(s.cpu_seconds() for s in servers) - server0
    result.client_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if total is None:
        raise RuntimeError(f"wrk printed no totals:\n{out}")
    result.elapsed = float(total.group(2)) * _UNIT_SECONDS[total.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        result.errors["HTTP not 2xx/3xx"] = int(bad.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sockets:
        for kind, count in zip(("connect", "read", "write", "timeout"), sockets.groups(), strict=True):
            if int(count):
                result.errors[f"socket {kind}"] = int(count)
    result.completed = int(total.group(1)) - sum(result.errors.values())
    for p, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE):
        result.reported[float(p)] = float(value) * _UNIT_SECONDS[unit] * 1000
    return result


_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def client(base_url: str, concurrency: int, timeout: float = 60.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


async def get_json(base_url: str, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.get(path, **kwargs)
        response.raise_for_status()
        return response.json()


# --- printing ---------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


@contextlib.asynccontextmanager
async def clients(urls: Sequence[str], concurrency: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    opened = [client(url, concurrency) for url in urls]
    try:
        yield opened
    finally:
        for http in opened:
            await http.aclose()
