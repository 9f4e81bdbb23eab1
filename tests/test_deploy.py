"""The deployment recipe in deploy/, checked as an operator would use it.

The environment file against the settings the code reads; the systemd units through
`systemd-analyze verify` with the commands they run parsed by `linli`'s own parser; and the nginx
site file itself (only its ports, certificate and log paths swapped) run in front of two
`linli serve` instances on PostgreSQL and Redis: HTTP to HTTPS, the client's address as nginx saw
it (a forged X-Forwarded-For ignored), the body limit answered as the app answers it, brotli and
gzip at the edge with the app's caching headers untouched, and requests still answered while one
instance is dead. The Dockerfile is not built here (no container engine in the test run).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.cli import build_parser
from backend.core.crypto import new_data_key
from backend.core.errors import megabytes
from backend.settings import Settings, SettingsError
from tests.conftest import REPO, SECRET
from tests.servers import PostgresServer, free_port
from tests.test_topology import _fresh_database, _wait_ready

DEPLOY = REPO / "deploy"
ENV_FILE = DEPLOY / "linli.env"
UNITS = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "linli.conf"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SCRAPE = DEPLOY / "prometheus" / "scrape.yml"
DASHBOARD = DEPLOY / "grafana" / "linli-dashboard.json"
LINLI = "/opt/linli/.venv/bin/linli"
CLIENT = "127.0.0.5"  # loopback is a whole /8: the test's client is not the proxy's address


# --- the environment file ---------------------------------------------------------------------


def _env_lines() -> list[str]:
    return ENV_FILE.read_text(encoding="utf-8").splitlines()


def _set_values() -> dict[str, str]:
    return dict(line.split("=", 1) for line in _env_lines() if re.match(r"LINLI_[A-Z0-9_]+=", line))


def _shown_defaults() -> dict[str, str]:
    shown = (re.match(r"# (LINLI_[A-Z0-9_]+)=(.*)$", line) for line in _env_lines())
    return {m.group(1): m.group(2) for m in shown if m}


def test_the_environment_file_names_every_setting_once_and_no_other() -> None:
    named = [*_set_values(), *_shown_defaults()]
    assert len(named) == len(set(named)), "a setting named twice"
    assert set(named) == {variable for variable, _, _ in Settings.describe()}


def test_every_setting_in_the_environment_file_has_its_explanation_above_it() -> None:
    lines = _env_lines()
    for index, line in enumerate(lines):
        if re.match(r"(# )?LINLI_[A-Z0-9_]+=", line):
            above = lines[index - 1]
            explained = above.startswith("# ") and not re.match(r"# LINLI_[A-Z0-9_]+=", above)
            assert explained, f"line {index + 1} ({line}) has no explanation above it"


def test_the_defaults_the_environment_file_shows_are_the_codes() -> None:
    defaults = {variable: default for variable, default, _ in Settings.describe()}
    assert {variable: defaults[variable] for variable in _shown_defaults()} == _shown_defaults()


def test_production_accepts_the_environment_file_once_its_placeholders_are_filled() -> None:
    values = _set_values()
    filled = {
        "LINLI_SECRET_KEY": "s" * 48,
        "LINLI_DATA_KEYS": f"k2026:{new_data_key()}",
        "LINLI_WECHAT_APPID": "wx0123456789abcdef",
        "LINLI_WECHAT_SECRET": "an-app-secret",
        "LINLI_METRICS_TOKEN": "a-metrics-token",
        "LINLI_DATABASE_URL": values["LINLI_DATABASE_URL"].replace("CHANGE-ME", "a-password"),
    }
    assert {variable for variable, value in values.items() if "CHANGE-ME" in value} == set(filled)
    settings = Settings.from_env({**values, **filled})
    assert settings.is_production and settings.uses_postgres and settings.redis_url
    assert settings.trusted_proxies == "127.0.0.1"
    assert not settings.dev_login_enabled and not settings.api_docs_enabled
    with pytest.raises(SettingsError):
        Settings.from_env(values)  # left as shipped, production refuses to start


# --- systemd ----------------------------------------------------------------------------------


def _rendered_units(into: Path) -> list[Path]:
    """The units with the repository's linli and environment file in place of /opt and /etc, and
    the templates instantiated as the README says (linli-web@8001, linli-worker@1)."""
    instances = {"linli-web@.service": "linli-web@8001.service", "linli-worker@.service": "linli-worker@1.service"}
    rendered = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text().replace(LINLI, str(REPO / ".venv" / "bin" / "linli"))
        text = text.replace("/etc/linli/linli.env", str(ENV_FILE))
        target = into / instances.get(unit.name, unit.name)
        target.write_text(text)
        rendered.append(target)
    return rendered


def test_systemd_verifies_every_unit_without_a_warning(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian: apt-get install systemd); scripts/test installs it"
    units = _rendered_units(tmp_path)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_units_run_commands_linli_knows_with_the_settings_file() -> None:
    commands = {}
    for unit in UNITS.glob("*.service"):
        text = unit.read_text()
        assert "EnvironmentFile=/etc/linli/linli.env" in text
        assert re.search(r"^User=linli$", text, re.M), f"{unit.name} runs as root"
        (start,) = re.findall(r"^ExecStart=(.*)$", text, re.M)
        program, *arguments = start.replace("%i", "8001").split()
        assert program == LINLI
        commands[unit.name] = build_parser().parse_args(arguments)
    assert commands["linli-web@.service"].command == "serve"
    assert (commands["linli-web@.service"].host, commands["linli-web@.service"].port) == ("127.0.0.1", 8001)
    assert commands["linli-worker@.service"].command == "worker"
    assert commands["linli-migrate.service"].command == "migrate"
    assert commands["linli-housekeeping.service"].command == "housekeeping"


# --- Prometheus and Grafana ----------------------------------------------------------------


def _promtool() -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing (Debian: apt-get install prometheus); scripts/test installs it"
    return promtool


def _queries() -> list[str]:
    """Every PromQL expression the alert rules and the dashboard evaluate."""
    rules = [rule["expr"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return rules + [target["expr"] for panel in panels for target in panel["targets"]]


def test_promtool_accepts_the_alert_rules_and_the_scrape_job(tmp_path: Path) -> None:
    checked = subprocess.run([_promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    token = tmp_path / "linli-metrics-token"
    token.write_text("a-metrics-token")
    scrape = tmp_path / "scrape.yml"
    scrape.write_text(_swap(SCRAPE.read_text(), "/etc/prometheus/linli-metrics-token", str(token)))
    checked = subprocess.run([_promtool(), "check", "config", str(scrape)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_query_of_the_dashboard_parses(tmp_path: Path) -> None:
    """promtool parses PromQL only inside rules: each panel's query becomes a recording rule."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queries = [target["expr"] for panel in panels for target in panel["targets"]]
    assert queries and all(panel["datasource"]["uid"] == "${datasource}" for panel in panels)
    rules = [{"record": f"linli:dashboard_query_{index}", "expr": query} for index, query in enumerate(queries)]
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(
        [_promtool(), "check", "rules", str(tmp_path / "queries.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _scraped(http: httpx.Client, instance: str) -> tuple[set[str], set[str]]:
    """(metric names, route templates) an instance reports on /metrics."""
    text = http.get(f"{instance}/metrics").text
    names = {match.group(1) for match in re.finditer(r"^([a-z_:]+)[{ ]", text, re.M)}
    return names, set(re.findall(r'path="([^"]+)"', text))


def _assert_queries_read_what_instances_report(names: set[str], paths: set[str]) -> None:
    for query in _queries():
        for metric in re.findall(r"\b((?:linli|process)_[a-z_]+)\b", query):
            assert metric in names, f"{metric} is not reported by an instance ({query})"
        for path in re.findall(r'path="([^"]+)"', query):
            assert path in paths, f"no route is reported as {path!r} ({query})"


# --- nginx ------------------------------------------------------------------------------------


def test_the_proxys_body_limit_and_its_answer_are_the_apps() -> None:
    site = SITE.read_text()
    (limit,) = re.findall(r"client_max_body_size (\d+)m;", site)
    app_limit = Settings().max_request_bytes
    assert int(limit) * 1024 * 1024 == app_limit
    assert f'"params":{{"limit_mb":{megabytes(app_limit)}}}' in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # replaced, never appended to


@dataclass
class Proxied:
    http: str  # nginx's plain-HTTP address
    https: str  # nginx's HTTPS address
    instances: list[str]
    processes: list[subprocess.Popen[bytes]]


def _certificate(directory: Path) -> tuple[Path, Path]:
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
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("linli.example.org")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain, private


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/linli.conf no longer has {old!r}: update the test's rendering"
    return text.replace(old, new)


def _nginx_config(directory: Path, http_port: int, https_port: int, instance_ports: list[int]) -> Path:
    """The site file as shipped, with only addresses and paths swapped, inside a minimal nginx.conf
    that loads the modules Debian enabled (brotli) as /etc/nginx/nginx.conf does."""
    chain, private = _certificate(directory)
    site = SITE.read_text()
    for shipped, port in zip(("127.0.0.1:8001", "127.0.0.1:8002"), instance_ports, strict=True):
        site = _swap(site, f"server {shipped} ", f"server 127.0.0.1:{port} ")
    site = _swap(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _swap(site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n")
    site = _swap(site, "    listen [::]:80;\n", "")
    site = _swap(site, "    listen [::]:443 ssl http2;\n", "")
    site = _swap(site, "/etc/letsencrypt/live/linli.example.org/fullchain.pem", str(chain))
    site = _swap(site, "/etc/letsencrypt/live/linli.example.org/privkey.pem", str(private))
    site = _swap(site, "/var/log/nginx/", f"{directory}/")
    (directory / "linli.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log warn;\n"
        "include /etc/nginx/modules-enabled/*.conf;\n"
        "events { worker_connections 256; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log {directory}/access.log;\n{temp}\n    include {directory / 'linli.conf'};\n}}\n"
    )
    return main


def _nginx() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert nginx, (
        "nginx is missing (Debian: apt-get install nginx libnginx-mod-http-brotli-filter); scripts/test installs it"
    )
    return nginx


def test_nginx_accepts_the_site_file(tmp_path: Path) -> None:
    config = _nginx_config(tmp_path, free_port(), free_port(), [free_port(), free_port()])
    result = subprocess.run([_nginx(), "-t", "-c", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


@pytest.fixture
def proxied(postgres_server: PostgresServer, redis_url: str, tmp_path: Path) -> Iterator[Proxied]:
    database_url = _fresh_database(postgres_server)
    environ = {
        **os.environ,
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": database_url,
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_MEDIA_ROOT": str(tmp_path / "media"),
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_LOGIN_RATE_LIMIT": "1000",
        "LINLI_TRUSTED_PROXIES": "127.0.0.1",  # as deploy/linli.env ships it
    }
    ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    config = _nginx_config(tmp_path, http_port, https_port, ports)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            log = tmp_path / f"instance-{port}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
                        cwd=REPO,
                        env=environ,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_ready(f"http://127.0.0.1:{port}", processes[-1], log)
        with (tmp_path / "nginx.log").open("wb") as out:
            processes.append(subprocess.Popen([_nginx(), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT))
        yield Proxied(
            f"http://127.0.0.1:{http_port}",
            f"https://127.0.0.1:{https_port}",
            [f"http://127.0.0.1:{port}" for port in ports],
            processes,
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _client(**options: object) -> httpx.Client:
    """From 127.0.0.5, an address that is neither the proxy's nor trusted, to the proxy's name."""
    return httpx.Client(
        transport=httpx.HTTPTransport(local_address=CLIENT, verify=False),
        headers={"Host": "linli.example.org"},
        timeout=30,
        **options,  # type: ignore[arg-type]
    )


def _until_proxy_answers(proxied: Proxied) -> None:
    with _client() as http:
        for _ in range(300):
            try:
                if http.get(f"{proxied.https}/ready").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            subprocess.run(["sleep", "0.1"], check=True)  # start-up, not a measurement
    raise AssertionError("nginx never answered /ready")


def _session_address(http: httpx.Client, base: str, **headers: str) -> str:
    login = http.post(f"{base}/api/v1/auth/dev-login", json={}, headers=headers)
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    sessions = http.get(f"{base}/api/v1/me/sessions", headers=auth)
    assert sessions.status_code == 200, sessions.text
    (current,) = [s for s in sessions.json() if s["current"]]
    return current["address"]


def test_through_the_proxy_as_an_operator_runs_it(proxied: Proxied) -> None:
    _until_proxy_answers(proxied)
    with _client() as http:
        # Plain HTTP is sent to HTTPS.
        moved = http.get(f"{proxied.http}/api/v1/events?x=1")
        assert moved.status_code == 308
        assert moved.headers["location"] == "https://linli.example.org/api/v1/events?x=1"

        # The client's address is the one nginx saw; what the client wrote itself is ignored,
        # through the proxy and straight at an instance alike.
        assert _session_address(http, proxied.https) == CLIENT
        assert _session_address(http, proxied.https, **{"X-Forwarded-For": "203.0.113.9"}) == CLIENT
        assert _session_address(http, proxied.instances[0], **{"X-Forwarded-For": "203.0.113.9"}) == CLIENT

        # nginx's request id reaches the app and comes back, so its access log and ours join.
        answered = http.get(f"{proxied.https}/health")
        assert re.fullmatch(r"[0-9a-f]{32}", answered.headers["x-request-id"])
        assert answered.headers["strict-transport-security"] == "max-age=31536000"

        # A body over the app's limit is refused at the proxy, in the app's problem shape.
        limit = Settings().max_request_bytes
        too_large = http.post(
            f"{proxied.https}/api/v1/auth/dev-login",
            content=b"x" * (limit + 1),
            headers={"Content-Type": "application/json"},
        )
        assert too_large.status_code == 413
        assert too_large.headers["content-type"].startswith("application/problem+json")
        problem = too_large.json()
        assert problem["code"] == "payload_too_large" and problem["params"] == {"limit_mb": megabytes(limit)}
        assert problem["request_id"] == too_large.headers["x-request-id"]
        # Under the limit the app answers itself (here: the body is no JSON).
        assert http.post(
            f"{proxied.https}/api/v1/auth/dev-login", content=b"x" * 1024, headers={"Content-Type": "application/json"}
        ).status_code in (400, 422)

        # Compression at the edge, brotli or gzip as the client takes it; the app's caching
        # headers pass through untouched.
        direct = http.get(f"{proxied.instances[1]}/static/css/linli.css", headers={"Accept-Encoding": "identity"})
        for accepted, encoding in (("br", "br"), ("gzip", "gzip"), ("br, gzip", "br")):
            page = http.get(f"{proxied.https}/static/css/linli.css", headers={"Accept-Encoding": accepted})
            assert page.status_code == 200
            assert page.headers["content-encoding"] == encoding
            assert "Accept-Encoding" in page.headers["vary"]
            if encoding == "gzip":
                assert page.content == direct.content  # httpx decodes gzip
            else:
                assert 0 < len(page.content) < len(direct.content) / 2  # brotli, left encoded (no decoder here)
            for header in ("cache-control", "last-modified"):
                assert page.headers.get(header) == direct.headers.get(header), header
            # A compressed body is another representation: nginx marks the app's ETag weak.
            assert page.headers["etag"] == f"W/{direct.headers['etag']}"
        assert direct.headers["cache-control"] == "max-age=3600, public"

        # Prometheus reads each instance, not the proxy; the alert rules and the dashboard read
        # metrics and routes the instances report (a sign-up is tried first, unsigned: 401).
        assert http.get(f"{proxied.https}/metrics").status_code == 404
        signed_up = http.post(f"{proxied.https}/api/v1/events/{uuid.uuid4()}/registrations", json={})
        assert signed_up.status_code == 401
        names, paths = set(), set()
        for instance in proxied.instances:
            reported = _scraped(http, instance)
            names |= reported[0]
            paths |= reported[1]
        _assert_queries_read_what_instances_report(names, paths)

        # One instance dies: every request, sign-in included, is still answered by the other.
        proxied.processes[0].kill()
        proxied.processes[0].wait(timeout=30)
        for _ in range(6):
            assert http.get(f"{proxied.https}/ready").status_code == 200
            assert _session_address(http, proxied.https) == CLIENT


# --- PgBouncer --------------------------------------------------------------------------------


@pytest.fixture
def pgbouncer(postgres_server: PostgresServer) -> Iterator[str]:
    """Debian's PgBouncer in transaction mode in front of the test PostgreSQL, with fewer server
    connections than an instance's pool, so that consecutive statements of one client connection
    land on different server connections (what breaks a driver's prepared statements)."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert Path(binary).exists(), "pgbouncer is missing (Debian: apt-get install pgbouncer); scripts/test installs it"
    directory = Path(tempfile.mkdtemp(prefix="linli-pgbouncer-"))
    directory.chmod(0o777)  # PgBouncer refuses root: it runs as postgres, as the server does
    port = free_port()
    (directory / "users.txt").write_text('"linli" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={postgres_server.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 400\n"
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
    )
    for path in directory.iterdir():
        path.chmod(0o666)
    process = subprocess.Popen([*postgres_server.run_as, binary, str(config)])
    try:
        for _ in range(100):
            if process.poll() is not None:
                raise AssertionError((directory / "pgbouncer.log").read_text(errors="replace"))
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            subprocess.run(["sleep", "0.1"], check=True)  # start-up, not a measurement
        database = _fresh_database(postgres_server).rsplit("/", 1)[1]
        yield f"postgresql://linli@127.0.0.1:{port}/{database}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def test_an_instance_behind_pgbouncer_in_transaction_mode(pgbouncer: str, redis_url: str, tmp_path: Path) -> None:
    environ = {
        **os.environ,
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": pgbouncer,
        "LINLI_DATABASE_BEHIND_PGBOUNCER": "true",
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_MEDIA_ROOT": str(tmp_path / "media"),
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_LOGIN_RATE_LIMIT": "10000",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "backend.cli", "migrate"], cwd=REPO, env=environ, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    port = free_port()
    log = tmp_path / "instance.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)

        async def resident(http: httpx.AsyncClient, index: int) -> list[int]:
            login = await http.post(f"{base}/api/v1/auth/dev-login", json={"openid": f"bouncer-{index}"})
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            answers = [login.status_code]
            for _ in range(3):
                answers.append((await http.get(f"{base}/api/v1/me", headers=auth)).status_code)
                answers.append((await http.get(f"{base}/api/v1/me/sessions", headers=auth)).status_code)
            return answers

        async def crowd() -> list[list[int]]:
            async with httpx.AsyncClient(timeout=60) as http:
                return await asyncio.gather(*(resident(http, index) for index in range(40)))

        answers = asyncio.run(crowd())
        failed = [status for statuses in answers for status in statuses if status != 200]
        assert not failed, f"{len(failed)} requests failed: {log.read_text(errors='replace')[-3000:]}"
    finally:
        process.terminate()
        process.wait(timeout=30)
