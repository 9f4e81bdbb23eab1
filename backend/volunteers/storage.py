"""Where the volunteers domain keeps its private files: incident photos and service-record PDFs.

Never under ``LINLI_MEDIA_ROOT``, which ``/media`` (and a reverse proxy in front of it) serves to
anyone holding a name: these live in a root of their own (``LINLI_PRIVATE_MEDIA_ROOT``, by default
a folder ``private`` beside the media root) and leave it only through routes that check who asks.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from backend.core import runtime
from backend.core.media import MediaStore
from backend.settings import Settings

RECORDS_FOLDER = "service-records"


def record_folder(user_id: uuid.UUID) -> str:
    """Where a holder's service-record PDFs are kept in the private store (they print the real name)."""
    return f"{RECORDS_FOLDER}/{user_id}"


def private_root(settings: Settings) -> Path:
    configured = settings.private_media_root.strip()
    return Path(configured) if configured else settings.media_root.parent / "private"


def private_store(settings: Settings | None = None) -> MediaStore:
    """The private store of these settings, or of the running app's."""
    return MediaStore(private_root(settings or runtime.current().settings))


def public_store(settings: Settings | None = None) -> MediaStore:
    return MediaStore((settings or runtime.current().settings).media_root)


def delete_files(store: MediaStore, paths: Iterable[str]) -> None:
    """Remove these files of the store; a name that is not there, or not safe, is skipped."""
    for path in paths:
        found = store.locate(path)
        if found is not None:
            found.unlink(missing_ok=True)


def delete_folder(store: MediaStore, folder: str) -> None:
    """Remove a folder of the store with everything in it (a name made by this domain, never a caller's)."""
    root = store.root.resolve()
    target = (root / folder).resolve()
    if target != root and target.is_relative_to(root) and target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
