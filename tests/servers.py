"""Throwaway PostgreSQL and Redis servers on loopback, started by the tests themselves.

A missing binary fails the run (it never skips): ``scripts/test`` installs both packages.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class ServerUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes] | None, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailable(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServerUnavailable(f"{what} did not start listening on port {port}")


@dataclass
class PostgresServer:
    url: str
    datadir: Path
    bindir: Path
    run_as: list[str]
    port: int
    # Commits reach the WAL on disk before they are acknowledged: a crash (stop() is one, with
    # "-m immediate") then loses nothing acknowledged. The shared test server trades that for speed.
    durable: bool = False

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://linli@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )

    def restart(self) -> None:
        self.stop()
        self.start()

    def start(self) -> None:
        """Start it (again), on the same port and data, and wait until it takes connections."""
        synchronous_commit = "on" if self.durable else "off"
        options = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
            f"-c fsync=off -c synchronous_commit={synchronous_commit} -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *self.run_as,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-o",
                options,
                "-l",
                str(self.datadir / "server.log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        _wait_for_port(self.port, None, "PostgreSQL")


def _postgres_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServerUnavailable("PostgreSQL is not installed (apt-get install postgresql; scripts/test does it)")


def start_postgres(base: Path, *, durable: bool = False, database: str = "linli_test") -> PostgresServer:
    bindir = _postgres_bindir()
    datadir = base / "postgres"
    datadir.mkdir(parents=True)
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the account its package created.
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerUnavailable("running as root needs the 'postgres' user of the postgresql package") from None
        for path in (base, datadir):
            os.chmod(path, 0o755)
        os.chown(datadir, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "linli",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(url="", datadir=datadir, bindir=bindir, run_as=run_as, port=free_port(), durable=durable)
    server.start()
    server.url = server.admin_url(database)
    subprocess.run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "linli", database],
        check=True,
        capture_output=True,
    )
    return server


@dataclass
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    binary: str
    base: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def start(self) -> None:
        """Start it again on the same port (empty: it keeps nothing on disk), as after a crash."""
        if self.process.poll() is None:
            return
        self.process = _spawn_redis(self.binary, self.port, self.base)
        _wait_for_port(self.port, self.process, "redis-server")


def _spawn_redis(binary: str, port: int, base: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(base),
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_redis(base: Path) -> RedisServer:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        raise ServerUnavailable("redis-server is not installed (apt-get install redis-server; scripts/test does it)")
    port = free_port()
    process = _spawn_redis(binary, port, base)
    _wait_for_port(port, process, "redis-server")
    return RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, process=process, binary=binary, base=base)
