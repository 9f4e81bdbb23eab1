"""The ``linli`` command: serve, worker, cluster, migrate, seed-demo, create-admin, housekeeping, backup,
restore, settings."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from backend.settings import Settings, SettingsError

PICCOLO_CONF = "backend.piccolo_conf"


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        sys.exit(f"linli: {error}")


def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` with every table bound to the configured database, inside a runtime of the
    domain list (no job runner: signals it leaves are delivered by a running app's sweeper)."""
    from backend.core import runtime
    from backend.core.db import bind_tables, close_engine, make_engine, open_engine
    from backend.core.wiring import all_tables, assemble
    from backend.domains import DOMAINS

    async def run() -> Any:
        engine = make_engine(settings)
        bind_tables(engine, all_tables(DOMAINS))
        await open_engine(engine, settings)
        try:
            with runtime.bound(assemble(DOMAINS, settings)):
                return await work()
        finally:
            await close_engine(engine)

    return asyncio.run(run())


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    if settings.uses_development_secret and args.host not in LOOPBACK:
        sys.exit(
            f"linli: refusing to listen on {args.host} with the built-in development secret: anyone who knows "
            "it can sign a token for any account. Set LINLI_SECRET_KEY (32 characters or more), or listen on "
            "127.0.0.1."
        )
    # X-Forwarded-For names the client only when it comes from a proxy we were told to trust;
    # from anyone else it is a header the client wrote itself.
    proxies = args.forwarded_allow_ips if args.forwarded_allow_ips is not None else settings.trusted_proxies
    uvicorn.run(
        "backend.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(proxies.strip()),
        forwarded_allow_ips=proxies.strip() or None,
        log_level=settings.log_level.lower(),
        access_log=False,  # the app writes one structured line per request itself
    )


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    if not settings.redis_url:
        sys.exit(
            "linli: the worker runs the job queue in Redis and needs LINLI_REDIS_URL; "
            "without Redis the app runs background jobs in-process and needs no worker"
        )
    from backend.worker import run_worker

    asyncio.run(run_worker(settings, metrics_host=args.metrics_host, metrics_port=args.metrics_port))


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    from backend.core.db import prepare_sqlite_file

    prepare_sqlite_file(settings)
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    asyncio.run(_migrate())


async def _migrate() -> None:
    """Piccolo's migrations, every app in order, told in our own words: Piccolo's own lines call
    every migration an app has "already complete" even on an empty database."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    manager = BaseMigrationManager()
    await manager.create_migration_table()
    apps = manager.get_sorted_app_names()
    before = {app: len(await Migration.get_migrations_which_ran(app_name=app)) for app in apps}
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        result = await run_forwards(app_name="all")
    if not result.success:
        print(said.getvalue(), file=sys.stderr)
        sys.exit(f"linli: migrations failed: {result.message}")
    applied = 0
    for app in apps:
        now = len(await Migration.get_migrations_which_ran(app_name=app))
        applied += now - before[app]
        state = f"{now - before[app]} applied now" if now > before[app] else "up to date"
        print(f"  {app:<16} {state} ({now} in all)")
    if applied:
        print(f"linli: the database is up to date: {applied} migrations applied now.")
    else:
        print("linli: the database was already up to date: nothing to do.")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    settings = _settings()
    if settings.is_production:
        sys.exit("linli: refusing to load demo data into production")
    from backend.core.wiring import seed_demo
    from backend.domains import DOMAINS

    summary = _with_database(settings, lambda: seed_demo(DOMAINS, keys=settings.sealing_keys))
    print(summary)


def cmd_create_admin(args: argparse.Namespace) -> None:
    settings = _settings()
    from backend.accounts.api import create_city_admin
    from backend.core.errors import DomainError

    async def work() -> None:
        try:
            await create_city_admin(username=args.username, password=args.password)
        except DomainError as error:
            sys.exit(f"linli: {error.code}: {error.message}")

    _with_database(settings, work)
    print(f"admin {args.username!r} can now log in at POST /api/v1/auth/login")
    print("(if the account existed, its password was reset and every session it had has ended)")


def cmd_mark_no_shows(args: argparse.Namespace) -> None:
    from backend.events.api import mark_no_shows

    print(f"{_with_database(_settings(), mark_no_shows)} registrations marked no-show")


def cmd_housekeeping(args: argparse.Namespace) -> None:
    from backend.core.wiring import run_chores
    from backend.domains import DOMAINS

    for chore, count in _with_database(_settings(), lambda: run_chores(DOMAINS)).items():
        print(f"{chore}: {count}")


def cmd_rotate_keys(args: argparse.Namespace) -> None:
    from backend.core.wiring import reseal_all
    from backend.domains import DOMAINS

    settings = _settings()
    keys = settings.sealing_keys
    for domain, count in _with_database(settings, lambda: reseal_all(DOMAINS, keys)).items():
        print(f"{domain}: {count} values sealed again under data key {keys.current!r}")


def cmd_data_key(args: argparse.Namespace) -> None:
    from backend.core.crypto import new_data_key

    print(new_data_key())


def _code_migrations() -> list[Any]:
    """Every migration this code has, as (app, id): a backup with one more is from a newer Linli."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.conf.apps import AppRegistry

    from backend.core.backup import AppliedMigration
    from backend.core.wiring import piccolo_modules
    from backend.domains import DOMAINS

    registry, manager = AppRegistry(apps=piccolo_modules(DOMAINS)), BaseMigrationManager()
    return [
        AppliedMigration(app=name, id=migration_id)
        for name, config in registry.app_configs.items()
        for migration_id in manager.get_migration_modules(config.resolved_migrations_folder_path)
    ]


def cmd_backup(args: argparse.Namespace) -> None:
    from backend.core.backup import BackupError, backup

    try:
        manifest = backup(_settings(), args.directory)
    except BackupError as error:
        sys.exit(f"linli: {error}")
    print(
        f"linli: backed up the {manifest.database} database ({len(manifest.migrations)} migrations applied) "
        f"and {len(manifest.media)} media files into {args.directory}"
    )


def cmd_restore(args: argparse.Namespace) -> None:
    from backend.core.backup import BackupError, restore

    settings = _settings()
    known = _code_migrations()
    try:
        manifest = restore(settings, args.directory, known, force=args.force)
    except BackupError as error:
        sys.exit(f"linli: {error}")
    print(
        f"linli: restored the {manifest.database} database and {len(manifest.media)} media files "
        f"from the backup of {manifest.created_at} (Linli {manifest.version})"
    )
    missing = set(known) - set(manifest.migrations)
    if missing:
        print(f"linli: this code has {len(missing)} migrations the backup lacks: run `linli migrate` next")


def cmd_cluster(args: argparse.Namespace) -> None:
    import subprocess

    from backend.core.cluster import ClusterError, plan, run

    settings = _settings()
    if (args.instances > 1 or args.workers > 0) and not settings.redis_url:
        sys.exit(
            "linli: several processes share rate limits, caches and the job queue through Redis: set LINLI_REDIS_URL "
            "(or run one instance and no worker)"
        )
    if not settings.uses_postgres and (args.instances > 1 or args.workers > 0):
        print("linli: several processes on one SQLite file work, but production runs PostgreSQL", file=sys.stderr)
    try:
        chosen = plan(port=args.port, instances=args.instances, workers=args.workers, proxy=args.proxy)
        if not args.no_migrate:
            migrated = subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], check=False)
            if migrated.returncode != 0:
                sys.exit("linli: the migrations failed; the cluster does not start")
        asyncio.run(run(chosen, max_body=settings.max_request_bytes))
    except ClusterError as error:
        sys.exit(f"linli: {error}")


def cmd_settings(args: argparse.Namespace) -> None:
    for variable, default, help_text in Settings.describe():
        print(f"{variable:<36} {default!s:<32} {help_text}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linli", description="Linli (邻里) backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (more than one needs Redis)")
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies whose X-Forwarded-For is trusted for the client address (default: LINLI_TRUSTED_PROXIES, none)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser(
        "worker",
        help="run background jobs and scheduled ones from the Redis queue, until SIGTERM (needs LINLI_REDIS_URL)",
    )
    worker.add_argument(
        "--metrics-port", type=int, default=0, help="serve this worker's counters on GET /metrics there (0: not at all)"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="the address of --metrics-port")
    worker.set_defaults(func=cmd_worker)
    commands.add_parser("migrate", help="apply the database migrations").set_defaults(func=cmd_migrate)
    commands.add_parser("seed-demo", help="load demo data (not in production)").set_defaults(func=cmd_seed_demo)

    admin = commands.add_parser(
        "create-admin", help="a staff account with the admin role for the city; again: new password, sessions ended"
    )
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    admin.set_defaults(func=cmd_create_admin)

    commands.add_parser(
        "mark-no-shows", help="mark confirmed places of events that are over as no-shows (the server also does it)"
    ).set_defaults(func=cmd_mark_no_shows)
    commands.add_parser(
        "housekeeping",
        help="run every chore once: no-shows, forgotten shift check-outs, expired points (scheduled jobs also do them)",
    ).set_defaults(func=cmd_housekeeping)
    commands.add_parser(
        "rotate-keys",
        help="seal every real name and identity number again under the first of LINLI_DATA_KEYS "
        "(after adding a new key first; the old one can go once this has run)",
    ).set_defaults(func=cmd_rotate_keys)
    commands.add_parser("data-key", help="print a new random data key for LINLI_DATA_KEYS").set_defaults(
        func=cmd_data_key
    )
    backup = commands.add_parser(
        "backup", help="copy the database (pg_dump or SQLite's online backup) and the media files into a directory"
    )
    backup.add_argument("directory", type=Path, help="a new or empty directory")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty database and the media roots (instances stopped)"
    )
    restore.add_argument("directory", type=Path, help="a directory `linli backup` wrote")
    restore.add_argument("--force", action="store_true", help="replace the tables of a database that is not empty")
    restore.set_defaults(func=cmd_restore)
    cluster = commands.add_parser(
        "cluster",
        help="N instances, M workers and a proxy on loopback, with this environment's settings (tests, trials)",
    )
    cluster.add_argument("--instances", type=int, default=2, help="linli serve processes, on PORT+1, PORT+2, ...")
    cluster.add_argument("--workers", type=int, default=1, help="linli worker processes (metrics on PORT+101, ...)")
    cluster.add_argument("--port", type=int, default=8000, help="the proxy's port")
    cluster.add_argument(
        "--proxy",
        choices=("auto", "nginx", "python"),
        default="auto",
        help="nginx with deploy/nginx/linli.conf (auto: when installed), or a small Python proxy",
    )
    cluster.add_argument("--no-migrate", action="store_true", help="do not run linli migrate first")
    cluster.set_defaults(func=cmd_cluster)
    commands.add_parser("settings", help="list every LINLI_* setting").set_defaults(func=cmd_settings)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
