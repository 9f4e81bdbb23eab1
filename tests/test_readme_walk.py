"""The README's "Trying the API", pasted as a newcomer pastes it: every shell block of that section,
in order, in one bash with -euo pipefail, against the demo served as `scripts/demo` serves it
(SQLite, no Redis, no WeChat). Every curl must answer 2xx, and every variable a block uses must
have been set by an earlier command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.servers import free_port

SECTION = "### Trying the API"
# Each curl of the walk goes through this: a 4xx or 5xx stops the walk (exit 22) with its answer
# shown, and every status is written to stderr for the test to read.
CURL = """curl() { command curl --fail-with-body --show-error -w '%{stderr}walk-status %{http_code} %{url_effective}\\n' "$@"; }
"""
STATUS = re.compile(r"^walk-status (\d{3}) (\S+)$", re.MULTILINE)


def walk_blocks(readme: str) -> list[str]:
    """The ```sh blocks between the section's heading and the next heading of its level or above
    (## or ###: a shell comment starts with one #)."""
    start = readme.index(SECTION)
    following = re.search(r"^#{2,3} ", readme[start + len(SECTION) :], re.MULTILINE)
    section = readme[start : start + len(SECTION) + following.start()] if following else readme[start:]
    return re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


# `linli migrate` and `linli seed-demo`, as scripts/demo runs them, in one process: a start saved.
MIGRATE_AND_SEED = "from backend.cli import main; main(['migrate']); main(['seed-demo'])"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """The demo as `scripts/demo` makes it (migrate, seed-demo, serve), on a fresh SQLite file and a
    free port; its address as host:port."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINLI_")}
    env |= {
        "LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}",
        "LINLI_MEDIA_ROOT": str(tmp_path / "media"),
        "LINLI_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE_AND_SEED], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_section_has_its_blocks() -> None:
    blocks = walk_blocks((REPO / "README.md").read_text())
    assert len(blocks) >= 5
    assert all("localhost:8000" in block for block in blocks)


def test_every_block_runs_as_written_and_every_curl_answers_2xx(demo: str, tmp_path: Path) -> None:
    blocks = walk_blocks((REPO / "README.md").read_text())
    script = CURL + "\n".join(block.replace("localhost:8000", demo) for block in blocks)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    told = f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, told
    statuses = STATUS.findall(done.stderr)
    # Every curl line of the README ran (the plates' loop runs its one line once per plate).
    written = sum(block.count("curl ") for block in blocks)
    assert len(statuses) >= written, told
    assert all(status.startswith("2") for status, _ in statuses), told
    # What the walk downloads is what it says it is.
    assert (tmp_path / "card.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "ticket.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "record.pdf").read_bytes().startswith(b"%PDF")
