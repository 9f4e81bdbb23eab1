"""``linli cluster`` as an operator starts it: two instances, a worker and a proxy on loopback, on
PostgreSQL and Redis; requests through the proxy reach both instances, the worker serves its
counters, an instance killed mid-way leaves every request answered, and SIGTERM stops them all.
Once with nginx running ``deploy/nginx/linli.conf``, once with the small Python proxy."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, SECRET
from tests.servers import PostgresServer


@dataclass
class Cluster:
    base: str  # the proxy, as a client reaches it
    port: int
    process: subprocess.Popen[bytes]
    output: Path

    def pids(self) -> dict[str, int]:
        text = self.output.read_text(errors="replace")
        return {name: int(pid) for name, pid in re.findall(r"^(instance \d+|worker \d+): pid (\d+)", text, re.M)}


def _free_block() -> int:
    """A base port whose proxy, instance, nginx HTTPS and worker ports are all free."""
    for _ in range(100):
        base = random.randrange(20000, 60000)
        wanted = [base, base + 1, base + 2, base + 99, base + 101]
        try:
            for port in wanted:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no free block of ports")


def _until(check: object, what: str, output: Path) -> None:
    for _ in range(600):
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        subprocess.run(["sleep", "0.1"], check=True)  # start-up, not a measurement
    raise AssertionError(f"{what}: {output.read_text(errors='replace')[-3000:]}")


@pytest.fixture(params=["python", "nginx"])
def cluster(
    request: pytest.FixtureRequest, postgres_server: PostgresServer, redis_url: str, tmp_path: Path
) -> Iterator[Cluster]:
    name = f"cluster_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [
            str(postgres_server.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres_server.port),
            "-U",
            "linli",
            name,
        ],
        check=True,
        capture_output=True,
    )
    environ = {
        **os.environ,
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": postgres_server.admin_url(name),
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_MEDIA_ROOT": str(tmp_path / "media"),
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_LOGIN_RATE_LIMIT": "1000",
    }
    port = _free_block()
    output = tmp_path / "cluster.log"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "cluster", "--port", str(port), "--proxy", request.param],
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"https://127.0.0.1:{port + 99}" if request.param == "nginx" else f"http://127.0.0.1:{port}"
    try:
        yield Cluster(base, port, process, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def test_the_cluster_serves_through_its_proxy_and_survives_an_instance(cluster: Cluster) -> None:
    with httpx.Client(verify=False, timeout=30) as http:
        _until(lambda: http.get(f"{cluster.base}/ready").status_code == 200, "the proxy never answered", cluster.output)
        text = cluster.output.read_text()
        assert "nginx (deploy/nginx/linli.conf)" in text if "https" in cluster.base else "proxy: python" in text

        for _ in range(6):
            login = http.post(f"{cluster.base}/api/v1/auth/dev-login", json={})
            assert login.status_code == 200, login.text
        # Both instances answered some of them (each counts its own requests).
        for instance_port in (cluster.port + 1, cluster.port + 2):
            scraped = http.get(f"http://127.0.0.1:{instance_port}/metrics").text
            logins = re.findall(
                r'^linli_requests_total\{[^}]*path="/api/v1/auth/dev-login"[^}]*\} (\S+)', scraped, re.M
            )
            assert logins and sum(float(v) for v in logins) >= 1, f"instance on {instance_port} got no login"
        worker = http.get(f"http://127.0.0.1:{cluster.port + 101}/metrics")
        assert worker.status_code == 200 and "linli_jobs_total" in worker.text

        pids = cluster.pids()
        assert set(pids) == {"instance 1", "instance 2", "worker 1"}
        os.kill(pids["instance 1"], signal.SIGKILL)
        _until(lambda: "instance 1 exited" in cluster.output.read_text(), "the death was not reported", cluster.output)
        for _ in range(6):
            assert http.get(f"{cluster.base}/ready").status_code == 200
            assert http.post(f"{cluster.base}/api/v1/auth/dev-login", json={}).status_code == 200

    cluster.process.send_signal(signal.SIGTERM)
    assert cluster.process.wait(timeout=60) == 0
    for name in ("instance 2", "worker 1"):
        with pytest.raises(ProcessLookupError):
            os.kill(pids[name], 0)
