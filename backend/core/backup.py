"""Backups: ``linli backup <dir>`` and ``linli restore <dir>``.

A backup is a directory:

- ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore``) or
  ``database.sqlite3`` (SQLite: a copy made with SQLite's online backup API, one consistent
  snapshot even while instances write);
- ``media/`` and ``private/``: every file under ``LINLI_MEDIA_ROOT`` and the private media root;
- ``manifest.json``: the version of Linli that made it, when, the database kind, every migration
  applied (app and id), and every media file with its size and SHA-256.

A restore checks the backup before it touches anything: every file the manifest names is there
with its checksum, and no migration in it is unknown to this code (a backup made by a newer Linli
is refused: install that version first). It refuses a database that already holds tables unless
``force`` is given (then the database's tables are replaced). A backup made by an older Linli is
restored as it is: ``linli migrate`` brings it up to date afterwards, as after an upgrade.

Restore with the instances and workers stopped: they would otherwise write into a database
being replaced.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import importlib.metadata
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
import msgspec

from backend.core import clock
from backend.settings import Settings

MANIFEST = "manifest.json"
POSTGRES_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
FORMAT = 1


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, for the operator."""


class AppliedMigration(msgspec.Struct, frozen=True, order=True):
    app: str
    id: str


class MediaFile(msgspec.Struct, frozen=True):
    root: str  # "media" or "private"
    path: str  # relative, with forward slashes
    bytes: int
    sha256: str


class Manifest(msgspec.Struct):
    format: int
    version: str
    created_at: str
    database: str  # "postgresql" or "sqlite"
    database_file: str
    database_sha256: str
    migrations: list[AppliedMigration]
    media: list[MediaFile]


def private_root(settings: Settings) -> Path:
    """The private media root, by the rule ``backend.volunteers.storage`` applies (core reads no
    domain): ``LINLI_PRIVATE_MEDIA_ROOT``, or ``private`` beside the media root."""
    configured = settings.private_media_root.strip()
    return Path(configured) if configured else settings.media_root.parent / "private"


def media_roots(settings: Settings) -> dict[str, Path]:
    return {"media": settings.media_root, "private": private_root(settings)}


def linli_version() -> str:
    try:
        return importlib.metadata.version("linli")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- backing up ------------------------------------------------------------------------------


def backup(settings: Settings, target: Path) -> Manifest:
    """Write a backup of the configured database and media into ``target`` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new or empty directory")
    target.mkdir(parents=True, exist_ok=True)
    if settings.uses_postgres:
        database, name = "postgresql", POSTGRES_FILE
        _run_tool(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target / name}",
            url=settings.database_url,
        )
        migrations = asyncio.run(_postgres_migrations(settings.database_url))
    else:
        database, name = "sqlite", SQLITE_FILE
        if not settings.sqlite_path.exists():
            raise BackupError(f"there is no database at {settings.sqlite_path}")
        source = sqlite3.connect(settings.sqlite_path, timeout=settings.sqlite_busy_timeout_seconds)
        copy = sqlite3.connect(target / name)
        try:
            # One step (pages=-1): the copy is one snapshot, whatever the instances write meanwhile.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
        migrations = _sqlite_migrations(target / name)
    media = []
    for root_name, root in media_roots(settings).items():
        for path, relative in _files(root):
            destination = target / root_name / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            media.append(
                MediaFile(root=root_name, path=relative, bytes=destination.stat().st_size, sha256=_sha256(destination))
            )
    manifest = Manifest(
        format=FORMAT,
        version=linli_version(),
        created_at=clock.iso(clock.now()),
        database=database,
        database_file=name,
        database_sha256=_sha256(target / name),
        migrations=sorted(migrations),
        media=media,
    )
    (target / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    return manifest


# --- restoring -------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    try:
        return msgspec.json.decode((source / MANIFEST).read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupError(f"{source} holds no {MANIFEST}: it is not a Linli backup") from None
    except msgspec.ValidationError as error:
        raise BackupError(f"{source / MANIFEST} is not a manifest this Linli reads: {error}") from None


def check(manifest: Manifest, source: Path, known: Iterable[AppliedMigration]) -> list[AppliedMigration]:
    """Everything that must hold before a restore touches anything; returns the code's migrations
    the backup lacks (``linli migrate`` applies them after the restore)."""
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format} is not one this Linli reads ({FORMAT})")
    known_set = set(known)
    newer = [m for m in manifest.migrations if m not in known_set]
    if newer:
        names = ", ".join(f"{m.app} {m.id}" for m in newer[:5])
        raise BackupError(
            f"the backup was made by a newer Linli ({manifest.version}): its migrations {names} are not in "
            "this code. Restore it with that version (or a later one)."
        )
    files = [(source / manifest.database_file, manifest.database_sha256)]
    files += [(source / f.root / f.path, f.sha256) for f in manifest.media]
    for path, expected in files:
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {path} is missing")
        if _sha256(path) != expected:
            raise BackupError(f"the backup is damaged: {path} does not match its checksum in the manifest")
    return sorted(known_set - set(manifest.migrations))


def restore(settings: Settings, source: Path, known: Iterable[AppliedMigration], *, force: bool = False) -> Manifest:
    """Restore the backup in ``source`` into the configured database and media roots."""
    manifest = read_manifest(source)
    check(manifest, source, known)
    kind = "postgresql" if settings.uses_postgres else "sqlite"
    if manifest.database != kind:
        raise BackupError(f"the backup is of a {manifest.database} database; LINLI_DATABASE_URL names a {kind} one")
    if settings.uses_postgres:
        tables = asyncio.run(_postgres_tables(settings.database_url))
        if tables and not force:
            raise BackupError(_not_empty(len(tables)))
        if tables:
            asyncio.run(_postgres_empty(settings.database_url))
        _run_tool(
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(source / manifest.database_file),
            url=settings.database_url,
        )
    else:
        _restore_sqlite(settings, source / manifest.database_file, force=force)
    for file in manifest.media:
        destination = media_roots(settings)[file.root] / file.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / file.root / file.path, destination)
    return manifest


def _not_empty(tables: int) -> str:
    return (
        f"the database already holds {tables} tables: a restore goes into an empty database "
        "(or give --force to replace what is there)"
    )


def _restore_sqlite(settings: Settings, copy: Path, *, force: bool) -> None:
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(path, timeout=settings.sqlite_busy_timeout_seconds)
    try:
        tables = target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables and not force:
            raise BackupError(_not_empty(tables))
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            source.backup(target)  # replaces every page of the target, whatever it held
        finally:
            source.close()
        target.execute("PRAGMA journal_mode=WAL")  # as `linli migrate` leaves a database
    finally:
        target.close()


# --- helpers ---------------------------------------------------------------------------------


async def _postgres_migrations(url: str) -> list[AppliedMigration]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT app_name, name FROM migration")
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await connection.close()
    return [AppliedMigration(app=row["app_name"], id=row["name"]) for row in rows]


def _sqlite_migrations(path: Path) -> list[AppliedMigration]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT app_name, name FROM migration").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()
    return [AppliedMigration(app=app, id=name) for app, name in rows]


async def _postgres_tables(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await connection.close()
    return [row["table_name"] for row in rows]


async def _postgres_empty(url: str) -> None:
    """--force: every table, view and sequence of the schema goes, so the backup's come back
    exactly (a table newer than the backup would otherwise stay behind, unknown to its migrations)."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            schema = await connection.fetchval("SELECT current_schema()")
            owner = await connection.fetchval(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", schema
            )
            quoted = '"' + schema.replace('"', '""') + '"'
            await connection.execute(f"DROP SCHEMA {quoted} CASCADE")
            await connection.execute(f"CREATE SCHEMA {quoted}")
            if owner == "pg_database_owner":
                await connection.execute(f"ALTER SCHEMA {quoted} OWNER TO pg_database_owner")
    finally:
        await connection.close()


def _tool(name: str) -> str:
    """The newest installed PostgreSQL client tool of that name (it must be at least the server's)."""
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    found = versions[-1] if versions else shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run_tool(name: str, *args: str, url: str) -> None:
    """Run a PostgreSQL client tool on the database at ``url``; its password goes in the
    environment, never on the command line (where ``ps`` shows it to every user)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = f"{parts.username}@" if parts.username else ""
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
        url = urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))
    result = subprocess.run(
        [_tool(name), *args, f"--dbname={url}"], capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0:
        raise BackupError(f"{name} failed: {result.stderr.strip()}")


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.relative_to(root).as_posix()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
