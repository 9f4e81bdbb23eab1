"""``linli cluster``: production's shape on one machine's loopback, for tests and operators.

N ``linli serve`` instances, M ``linli worker`` processes and a proxy in front, all with the
settings of this process's environment (one PostgreSQL, one Redis), started after ``linli
migrate``:

- instance *i* listens on ``127.0.0.1:<port + i>``, worker *j* serves its counters on
  ``127.0.0.1:<port + 100 + j>/metrics``;
- the proxy listens on ``127.0.0.1:<port>``. With ``--proxy nginx`` (the default when nginx and
  ``deploy/nginx/linli.conf`` are both there) it is that site file itself, only its upstream
  servers, listen addresses, certificate (a self-signed one made here) and log paths swapped:
  HTTP on ``port`` sends to HTTPS on ``port + 99``. With ``--proxy python`` it is the small proxy
  below: plain HTTP, round robin over the instances, a request that found an instance down before
  it was sent goes to the next one, ``X-Forwarded-For`` replaced by the address it saw.

The instances trust ``X-Forwarded-For`` from 127.0.0.1 (``LINLI_TRUSTED_PROXIES``), as
``deploy/linli.env`` ships it. A process that exits is reported, not restarted (an operator
killing one is how failover is tried); Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "linli.conf"
# Headers that belong to one hop (RFC 9110 7.6.1), never passed on by a proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class ClusterError(Exception):
    """The cluster cannot start; the message says why."""


@dataclass
class Member:
    name: str
    command: list[str]
    address: str
    process: asyncio.subprocess.Process | None = None


@dataclass
class Plan:
    port: int
    instances: int
    workers: int
    proxy: str  # "nginx" or "python"
    members: list[Member] = field(default_factory=list)

    @property
    def instance_ports(self) -> list[int]:
        return [self.port + i for i in range(1, self.instances + 1)]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def choose_proxy(asked: str) -> str:
    if asked == "auto":
        return "nginx" if nginx_binary() and SITE.exists() else "python"
    if asked == "nginx" and not (nginx_binary() and SITE.exists()):
        raise ClusterError("--proxy nginx needs nginx (Debian: apt-get install nginx) and deploy/nginx/linli.conf")
    return asked


def plan(*, port: int, instances: int, workers: int, proxy: str) -> Plan:
    if instances < 1:
        raise ClusterError("a cluster has at least one instance")
    chosen = Plan(port=port, instances=instances, workers=workers, proxy=choose_proxy(proxy))
    linli = [sys.executable, "-m", "backend.cli"]
    for index, instance_port in enumerate(chosen.instance_ports, start=1):
        chosen.members.append(
            Member(
                f"instance {index}",
                [*linli, "serve", "--port", str(instance_port)],
                f"http://127.0.0.1:{instance_port}",
            )
        )
    for index in range(1, workers + 1):
        metrics_port = port + 100 + index
        chosen.members.append(
            Member(
                f"worker {index}",
                [*linli, "worker", "--metrics-port", str(metrics_port)],
                f"http://127.0.0.1:{metrics_port}/metrics",
            )
        )
    return chosen


def environment() -> dict[str, str]:
    """The children's settings: this process's, with the proxy trusted for the client address."""
    env = dict(os.environ)
    env.setdefault("LINLI_TRUSTED_PROXIES", "127.0.0.1")
    return env


# --- the small proxy ---------------------------------------------------------------------------


def python_proxy(upstreams: Sequence[str], *, max_body: int, timeout: float = 60.0) -> Any:
    """An ASGI app that passes each HTTP request to the next instance in turn."""
    client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    turn = itertools.cycle(range(len(upstreams)))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > max_body:
                await _answer(send, 413, b'{"code":"payload_too_large"}')
                return
            if not message.get("more_body"):
                break
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in HOP_BY_HOP | {"x-forwarded-for", "host"}
        ]
        client_host = scope["client"][0] if scope.get("client") else "unknown"
        headers.append(("X-Forwarded-For", client_host))
        path = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        first = next(turn)
        for offset in range(len(upstreams)):
            upstream = upstreams[(first + offset) % len(upstreams)]
            try:
                answer = await client.request(scope["method"], upstream + path, headers=headers, content=bytes(body))
            except (httpx.ConnectError, httpx.ConnectTimeout):
                continue  # never reached the instance: the next one may answer
            except httpx.HTTPError:
                await _answer(send, 502, b'{"code":"bad_gateway"}')
                return
            passed = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in answer.headers.multi_items()
                if name.lower() not in HOP_BY_HOP | {"content-length", "content-encoding"}
            ]
            await send({"type": "http.response.start", "status": answer.status_code, "headers": passed})
            await send({"type": "http.response.body", "body": answer.content})
            return
        await _answer(send, 502, b'{"code":"bad_gateway"}')

    return app


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/problem+json")]}
    )
    await send({"type": "http.response.body", "body": body})


# --- nginx -------------------------------------------------------------------------------------


def nginx_config(directory: Path, http_port: int, https_port: int, instance_ports: Sequence[int]) -> Path:
    """deploy/nginx/linli.conf with only addresses and paths swapped, in a minimal nginx.conf."""
    site = SITE.read_text()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;\n" for port in instance_ports)
    shipped = "    server 127.0.0.1:8001 max_fails=2 fail_timeout=5s;\n    server 127.0.0.1:8002 max_fails=2 fail_timeout=5s;\n"
    chain, private = _certificate(directory)
    for old, new in (
        (shipped, servers),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/linli.example.org/fullchain.pem", str(chain)),
        ("/etc/letsencrypt/live/linli.example.org/privkey.pem", str(private)),
        ("/var/log/nginx/", f"{directory}/"),
    ):
        if old not in site:
            raise ClusterError(f"deploy/nginx/linli.conf no longer has {old.strip()!r}: use --proxy python")
        site = site.replace(old, new)
    (directory / "linli.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log warn;\n"
        "include /etc/nginx/modules-enabled/*.conf;\nevents { worker_connections 1024; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log {directory}/access.log;\n{temp}\n    include {directory / 'linli.conf'};\n}}\n"
    )
    return main


def _certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "linli.example.org")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("linli.example.org"), x509.DNSName("localhost")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain, private


# --- running it --------------------------------------------------------------------------------


async def _wait_ready(member: Member, seconds: float = 120) -> None:
    assert member.process is not None
    async with httpx.AsyncClient(timeout=1) as client:
        for _ in range(int(seconds * 10)):
            if member.process.returncode is not None:
                raise ClusterError(f"{member.name} exited with {member.process.returncode} while starting")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{member.address}/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise ClusterError(f"{member.name} never became ready at {member.address}")


def _say(line: str) -> None:
    # Flushed at once: an operator's log (or a test) reads each line as it happens, not when a
    # file's buffer fills.
    print(line, flush=True)


async def run(chosen: Plan, *, max_body: int, say: Any = _say) -> None:
    env = environment()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    workdir = Path(tempfile.mkdtemp(prefix="linli-cluster-"))
    proxy_task: asyncio.Task[None] | None = None
    nginx: asyncio.subprocess.Process | None = None
    try:
        for member in chosen.members:
            member.process = await asyncio.create_subprocess_exec(*member.command, env=env, cwd=REPO)
            say(f"{member.name}: pid {member.process.pid}, {member.address}")
        for member in chosen.members:
            if member.name.startswith("instance"):
                await _wait_ready(member)
        upstreams = [f"http://127.0.0.1:{port}" for port in chosen.instance_ports]
        if chosen.proxy == "nginx":
            binary = nginx_binary()
            assert binary is not None
            https_port = chosen.port + 99
            config = nginx_config(workdir, chosen.port, https_port, chosen.instance_ports)
            nginx = await asyncio.create_subprocess_exec(binary, "-c", str(config))
            say(
                f"proxy: nginx (deploy/nginx/linli.conf), pid {nginx.pid}, http://127.0.0.1:{chosen.port} -> https://127.0.0.1:{https_port} (self-signed)"
            )
        else:
            import uvicorn

            server = uvicorn.Server(
                uvicorn.Config(
                    python_proxy(upstreams, max_body=max_body), host="127.0.0.1", port=chosen.port, log_level="warning"
                )
            )
            server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # ours stop all
            proxy_task = asyncio.create_task(server.serve())
            say(f"proxy: python (backend/core/cluster.py), http://127.0.0.1:{chosen.port}")
        say("linli cluster: running; Ctrl-C stops every process")
        watched = {asyncio.create_task(member.process.wait()): member for member in chosen.members if member.process}
        stopping = asyncio.create_task(stop.wait())
        while not stop.is_set() and watched:
            done, _ = await asyncio.wait({*watched, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task in watched:
                    member = watched.pop(task)
                    say(f"{member.name} exited with {task.result()} (not restarted)")
        stopping.cancel()
        for task in watched:
            task.cancel()
    finally:
        for member in chosen.members:
            if member.process is not None and member.process.returncode is None:
                member.process.terminate()
        if nginx is not None and nginx.returncode is None:
            nginx.terminate()
            await nginx.wait()
        if proxy_task is not None:
            proxy_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await proxy_task
        for member in chosen.members:
            if member.process is not None:
                try:
                    await asyncio.wait_for(member.process.wait(), timeout=30)
                except TimeoutError:
                    member.process.kill()
        shutil.rmtree(workdir, ignore_errors=True)
