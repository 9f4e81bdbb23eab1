"""The world the fuzz run (tests/test_fuzz.py) works in: a real server on loopback with demo data.

``serve_fuzz_app`` starts this module as a process of its own (``python -m tests.fuzz_world``):
it loads the demo data (``linli seed-demo``'s ``seed_demo``) into an SQLite file migrated by
``linli migrate``, builds the app with ``create_app`` from ``LINLI_*`` settings and serves it
with uvicorn on a free loopback port, which it writes to a file. A process of its own keeps its
table bindings, event loop and logs away from the test process, and lets it use the second core.

``seed_world`` then adds, through the API, what only people make (a registration, a dependant,
a calendar feed, a shift sign-up, an incident, a redemption) and ``path_candidates`` reads real
ids from the database, so that path parameters can name objects that exist.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "linli-demo-2026"
RESIDENT_OPENID = "demo-volunteer"  # 李华明: a resident, a patrol volunteer with verified hours
ORGANISER = "demo-organiser"  # organiser for 双塔街道, whose events the demo data holds


# --- the server process ---------------------------------------------------------------------


@contextmanager
def serve_fuzz_app(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """Seed and serve the app in a process of its own; yields its base URL."""
    port_file = workdir / "port"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz_world", str(port_file)],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = _wait_until_serving(process, port_file, log_path)
            yield base_url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], port_file: Path, log_path: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the fuzz server exited:\n" + log_path.read_text(errors="replace")[-4000:])
        if port_file.exists() and port_file.read_text().strip():
            base_url = f"http://127.0.0.1:{port_file.read_text().strip()}"
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    return base_url
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise RuntimeError("the fuzz server did not start:\n" + log_path.read_text(errors="replace")[-4000:])


def _main(port_file: Path) -> None:
    import uvicorn

    from backend.app import create_app
    from backend.cli import _with_database
    from backend.core.wiring import seed_demo
    from backend.domains import DOMAINS
    from backend.settings import Settings

    settings = Settings.from_env()
    _with_database(settings, lambda: seed_demo(DOMAINS, keys=settings.sealing_keys))
    # Bound here (port 0) so no other process can take the port between choosing and binding;
    # IPPROTO_TCP so asyncio sets TCP_NODELAY (else every answer waits on delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port_file.write_text(str(sock.getsockname()[1]))
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])


# --- people and the things only people make ---------------------------------------------------


@dataclass
class World:
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # role → Authorization
    calendar_token: str = ""


def seed_world(base_url: str) -> World:
    """Log the resident and the organiser in, and let the resident do what residents do."""
    world = World()
    with httpx.Client(base_url=base_url, timeout=10) as http:
        resident = _ok(http.post("/api/v1/auth/dev-login", json={"openid": RESIDENT_OPENID}))
        organiser = _ok(http.post("/api/v1/auth/login", json={"username": ORGANISER, "password": DEMO_PASSWORD}))
        for role, login in (("resident", resident), ("organiser", organiser)):
            world.headers[role] = {"Authorization": f"Bearer {login['access_token']}"}
        as_resident = world.headers["resident"]

        events = _ok(http.get("/api/v1/events", params={"limit": 50}))["items"]
        open_events = [e for e in events if e.get("seats_left", 1) and not e.get("registration_closed")]
        for number, event in enumerate(open_events[:3]):
            http.post(
                f"/api/v1/events/{event['id']}/registrations",
                json={"party_size": 1},
                headers={**as_resident, "Idempotency-Key": f"fuzz-world-{number}"},
            )
        http.get(f"/api/v1/events/{events[0]['id']}/share-card", headers=as_resident)
        http.post("/api/v1/me/dependants", json={"display_name": "小宝", "birth_year": 2018}, headers=as_resident)
        feed = http.post("/api/v1/me/calendar-feed", headers=as_resident)
        if feed.status_code == 201:
            world.calendar_token = feed.json().get("token", "")
        http.get("/api/v1/me/hours/record", headers=as_resident)
        for shift in _ok(http.get("/api/v1/shifts", params={"limit": 5}))[:1]:
            http.post(f"/api/v1/shifts/{shift['id']}/signups", headers=as_resident)
        for reward in _ok(http.get("/api/v1/rewards"))[:1]:
            http.post(
                f"/api/v1/rewards/{reward['id']}/redemptions", headers={**as_resident, "Idempotency-Key": "fuzz-world"}
            )
            http.post(
                "/api/v1/incidents",
                json={
                    "community_id": reward["community_id"],
                    "kind": "occupied_green_space",
                    "text": "3号楼东侧绿地堆放建材",
                },
                headers=as_resident,
            )
    return world


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.request.url, response.status_code, response.text)
    return response.json()


# --- real ids for path parameters -------------------------------------------------------------


def query_values(sqlite_path: Path, world: World) -> dict[str, str]:
    """By name, a real value for query parameters that name objects or carry a secret."""
    db = sqlite3.connect(sqlite_path)
    # The community where the demo's teams, rewards and point rules are (南园社区).
    community, team = db.execute("SELECT community, id FROM volunteer_team LIMIT 1").fetchone()
    venue = db.execute("SELECT venue FROM event_event WHERE status = 'published' LIMIT 1").fetchone()[0]
    db.close()
    return {"community_id": community, "team_id": team, "venue_id": venue, "token": world.calendar_token}


def path_candidates(sqlite_path: Path) -> dict[str, list[dict[str, str]]]:
    """Per path template, a few sets of path parameters that name existing objects."""
    db = sqlite3.connect(sqlite_path)

    def ids(sql: str, limit: int = 2) -> list[str]:
        return [str(row[0]) for row in db.execute(f"{sql} LIMIT {limit}")]

    def rows(sql: str, limit: int = 2) -> list[tuple[str, ...]]:
        return [tuple(str(value) for value in row) for row in db.execute(f"{sql} LIMIT {limit}")]

    published = "SELECT id FROM event_event WHERE status = 'published' AND starts_at > datetime('now')"
    registered = "SELECT event FROM event_registration"
    events = ids(f"{published} AND id IN ({registered})", 1) + ids(f"{published} AND id NOT IN ({registered})", 1)
    # Cancelling or completing must not take the resident's own events from under later operations.
    spare_events = ids(f"{published} AND id NOT IN ({registered}) ORDER BY starts_at DESC", 2)
    registrations = ids("SELECT id FROM event_registration")
    branches = ids("SELECT id FROM library_branch")
    teams = ids("SELECT id FROM volunteer_team")
    members = rows("SELECT team, user FROM volunteer_team_member WHERE role != 'coordinator'", 3)
    checkpoints = rows("SELECT route, id, code FROM volunteer_checkpoint", 2)
    shifts = rows(
        "SELECT s.id, c.code FROM volunteer_shift s JOIN volunteer_checkpoint c ON c.route = s.route "
        "WHERE s.starts_at > datetime('now')",
        2,
    )
    entries = ids("SELECT id FROM volunteer_hours_entry")
    records = ids("SELECT code FROM volunteer_service_record")
    incidents = ids("SELECT id FROM volunteer_incident")
    communities = ids("SELECT id FROM account_organisation WHERE kind = 'community'")
    dependants = ids("SELECT id FROM inclusion_dependant")
    rewards = ids("SELECT id FROM inclusion_reward")
    redemptions = rows("SELECT id, pickup_code FROM inclusion_redemption")
    notices = ids("SELECT id FROM notification_notice")
    share_links = ids("SELECT code FROM event_share_link")
    meetings = ids("SELECT id FROM governance_meeting")
    submissions = ids("SELECT id FROM governance_submission")
    actions = ids("SELECT id FROM governance_action ORDER BY due_on DESC")
    # The demo's surveys, closed ones first (their results are published), and evaluated companies.
    surveys = ids("SELECT id FROM governance_survey ORDER BY closes_at", 3)
    companies = ids("SELECT DISTINCT subject FROM governance_survey WHERE kind = 'evaluation'", 1)
    db.close()

    day = (date.today() + timedelta(days=30)).isoformat()
    event_paths = [
        "/api/v1/events/{event_id}",
        "/api/v1/events/{event_id}/publish",
        "/api/v1/events/{event_id}/registrations",
        "/api/v1/events/{event_id}/share-card",
        "/api/v1/events/{event_id}/check-ins",
        "/api/v1/events/{event_id}/calendar.ics",
        "/api/v1/events/{event_id}/poster",
    ]
    candidates: dict[str, list[dict[str, str]]] = {path: [{"event_id": e} for e in events] for path in event_paths}
    for path in ("/api/v1/events/{event_id}/cancel", "/api/v1/events/{event_id}/complete"):
        candidates[path] = [{"event_id": e} for e in spare_events]
    for suffix in ("", "/ticket", "/ticket.png"):
        candidates["/api/v1/registrations/{registration_id}" + suffix] = [{"registration_id": r} for r in registrations]
    candidates["/api/v1/share-links/{code}"] = [{"code": c} for c in share_links]
    for suffix in ("", "/rooms", "/occupancy"):
        candidates["/api/v1/library-branches/{branch_id}" + suffix] = [{"branch_id": b} for b in branches]
    candidates["/api/v1/library-branches/{branch_id}/exceptions/{day}"] = [
        {"branch_id": b, "day": day} for b in branches
    ]
    for suffix in (
        "",
        "/members",
        "/members/me",
        "/routes",
        "/shifts",
        "/shifts/copy-week",
        "/hours",
        "/hours.csv",
        "/hours/verify",
    ):
        candidates["/api/v1/teams/{team_id}" + suffix] = [{"team_id": t} for t in teams]
    for suffix in (
        "/coordinators/{user_id}",
        "/members/{user_id}/approve",
        "/members/{user_id}/reject",
        "/members/{user_id}/hours",
    ):
        candidates["/api/v1/teams/{team_id}" + suffix] = [{"team_id": t, "user_id": u} for t, u in members]
    candidates["/api/v1/routes/{route_id}"] = [{"route_id": r} for r, _, _ in checkpoints[:1]]
    candidates["/api/v1/routes/{route_id}/checkpoints"] = [{"route_id": r} for r, _, _ in checkpoints[:1]]
    candidates["/api/v1/routes/{route_id}/plates.pdf"] = [{"route_id": r} for r, _, _ in checkpoints[:1]]
    candidates["/api/v1/routes/{route_id}/checkpoints/{checkpoint_id}/plate.png"] = [
        {"route_id": r, "checkpoint_id": c} for r, c, _ in checkpoints
    ]
    for suffix in ("", "/cancel", "/signups", "/signups/me", "/check-in", "/check-out"):
        candidates["/api/v1/shifts/{shift_id}" + suffix] = [{"shift_id": s} for s, _ in shifts]
    candidates["/api/v1/shifts/{shift_id}/checkpoints/{code}/scan"] = [{"shift_id": s, "code": c} for s, c in shifts]
    for suffix in ("/corrections", "/reject", "/verify"):
        candidates["/api/v1/hours/{entry_id}" + suffix] = [{"entry_id": e} for e in entries]
    candidates["/api/v1/hours/records/{code}"] = [{"code": c} for c in records]
    for suffix in ("", "/photo"):
        candidates["/api/v1/incidents/{incident_id}" + suffix] = [{"incident_id": i} for i in incidents]
    for suffix in ("/incident-routing", "/point-rules", "/board"):
        candidates["/api/v1/communities/{community_id}" + suffix] = [{"community_id": c} for c in communities]
    candidates["/api/v1/me/dependants/{dependant_id}"] = [{"dependant_id": d} for d in dependants]
    for suffix in ("", "/redemptions", "/image"):
        candidates["/api/v1/rewards/{reward_id}" + suffix] = [{"reward_id": r} for r in rewards]
    candidates["/api/v1/redemptions/{redemption_id}"] = [{"redemption_id": r} for r, _ in redemptions]
    for suffix in ("/fulfil", "/cancel"):
        candidates["/api/v1/redemptions/{code}" + suffix] = [{"code": c} for _, c in redemptions]
    candidates["/api/v1/me/notifications/{notice_id}/read"] = [{"notice_id": n} for n in notices]
    for suffix in ("", "/announce", "/submissions", "/submissions/mine", "/minutes"):
        candidates["/api/v1/meetings/{meeting_id}" + suffix] = [{"meeting_id": m} for m in meetings]
    candidates["/api/v1/meeting-submissions/{submission_id}"] = [{"submission_id": i} for i in submissions]
    candidates["/api/v1/meeting-actions/{action_id}/updates"] = [{"action_id": a} for a in actions]
    for suffix in ("", "/results", "/answers"):
        candidates["/api/v1/surveys/{survey_id}" + suffix] = [{"survey_id": s} for s in surveys]
    candidates["/api/v1/evaluations/{survey_id}/response"] = [{"survey_id": s} for s in surveys]
    candidates["/api/v1/property-companies/{company_id}/evaluations"] = [{"company_id": c} for c in companies]
    return {path: found for path, found in candidates.items() if found}


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
