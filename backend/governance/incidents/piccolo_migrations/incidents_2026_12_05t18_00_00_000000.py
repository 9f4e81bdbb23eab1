"""Incident photos leave the public media store for the private one (hand-written).

Photos were stored as ``incidents/<content hash>-<rendition>`` under LINLI_MEDIA_ROOT, which
``/media`` serves to anyone holding the name (and a poster of the same picture had the same hash).
This copies each report's files into the private store (LINLI_PRIVATE_MEDIA_ROOT, by default
``private`` beside the media root) under a random name, points the report at them, and then deletes
the public files. A report whose files are not on this machine keeps its old names: the photo
route still serves those from the public store, and running ``linli migrate`` where the files are
is not needed again (this runs once) — move them by hand and update the rows if that happens.
"""

import json
import secrets
import shutil
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

from backend.settings import Settings

ID = "2026-12-05T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "incident photos move to the private store under random names"

LEGACY = "incidents/"
FOLDER = "incident-photos"


class Incident(Table, tablename="volunteer_incident"):
    pass


def _roots() -> tuple[Path, Path]:
    settings = Settings.from_env()
    configured = settings.private_media_root.strip()
    private = Path(configured) if configured else settings.media_root.parent / "private"
    return settings.media_root, private


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="incidents", description=DESCRIPTION)

    async def move_photos() -> None:
        rows = await Incident.raw(
            "SELECT id, photo FROM volunteer_incident WHERE CAST(photo AS TEXT) LIKE {}", f"%{LEGACY}%"
        )
        if not rows:
            return
        public, private = _roots()
        moved: set[Path] = set()
        for row in rows:
            photo = row["photo"] if isinstance(row["photo"], dict) else json.loads(row["photo"] or "{}")
            sources = {key: public / path for key, path in photo.items() if path.startswith(LEGACY)}
            if not sources or not all(source.is_file() for source in sources.values()):
                continue  # not on this machine: served from the public store until moved by hand
            name = secrets.token_hex(16)
            renamed = dict(photo)
            for key, source in sources.items():
                target = private / FOLDER / f"{name}-{key}"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                renamed[key] = f"{FOLDER}/{name}-{key}"
                moved.add(source)
            await Incident.raw(
                "UPDATE volunteer_incident SET photo = {} WHERE id = {}", json.dumps(renamed), row["id"]
            )
        for source in moved:  # two reports may have shared one file: delete once all are copied
            source.unlink(missing_ok=True)

    manager.add_raw(move_photos)
    return manager
