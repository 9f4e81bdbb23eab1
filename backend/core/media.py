"""Files that people upload or that we generate: stored once by content, served with long caching.

A stored file never changes: its name carries a hash of what it was made from, so a new poster
is a new name and ``Cache-Control: immutable`` is safe. Every domain (posters, incident photos,
certificates) writes through ``MediaStore`` and shows paths through ``media_url``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import File

from backend.core.errors import NotFound
from backend.core.openapi import problems
from backend.settings import Settings

MEDIA_PREFIX = "/media"
CACHE_FOREVER = "public, max-age=31536000, immutable"
# Relative paths we hand out: folders and names of letters, digits, "-", "_" and ".", never
# starting with a dot (temporary files in flight start with one and must not be served).
_SAFE_PATH = re.compile(r"^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$")
_MEDIA_TYPES = {
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}


def content_name(data: bytes, suffix: str = "", *, length: int = 16) -> str:
    """A name from the bytes' SHA-256, so the same content is stored once under one name."""
    return hashlib.sha256(data).hexdigest()[:length] + suffix


def media_url(path: str) -> str:
    """The absolute-path URL of a stored file, e.g. ``/media/posters/ab12…-w480.webp``."""
    return f"{MEDIA_PREFIX}/{path}"


def private_root(settings: Settings) -> Path:
    """Where private files live (``LINLI_PRIVATE_MEDIA_ROOT``, by default a folder ``private``
    beside the media root): never served under ``/media``."""
    configured = settings.private_media_root.strip()
    return Path(configured) if configured else settings.media_root.parent / "private"


def media_type_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"


class MediaStore:
    """Files under one root directory, written atomically; names are chosen by the caller."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def url(self, path: str) -> str:
        return media_url(path)

    def locate(self, path: str) -> Path | None:
        """The file a relative path names, if it exists and lies inside the root; None otherwise."""
        if not _SAFE_PATH.match(path) or ".." in PurePosixPath(path).parts:
            return None
        try:
            root = self.root.resolve()
            target = (root / path).resolve(strict=True)
        except (OSError, ValueError, RuntimeError):  # missing, a NUL byte, a symlink loop
            return None
        # A symlink that leads out of the root is as good as missing.
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target

    def write(self, path: str, data: bytes) -> bool:
        """Store ``data`` at ``path`` unless a file is already there; True if written.

        Names are content-addressed, so an existing file already holds these bytes. The write
        goes to a temporary file first and is renamed into place: a reader never sees half a file.
        """
        if not _SAFE_PATH.match(path):
            raise ValueError(f"unsafe media path: {path!r}")
        target = self.root / path
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    async def write_many(self, files: Mapping[str, bytes]) -> None:
        """Write several files off the event loop (disk writes and fsync block)."""

        def write_all() -> None:
            for path, data in files.items():
                self.write(path, data)

        await anyio.to_thread.run_sync(write_all)


class MediaController(Controller):
    """Serves stored files; in production a reverse proxy may serve ``/media`` from the same root."""

    path = MEDIA_PREFIX
    tags = ["media"]
    # WebP and JPEG are compressed already; gzip would spend CPU to gain nothing.
    opt = {"skip_compression": True}

    @get(
        "/{path:path}",
        operation_id="get_media",
        summary="A stored file (poster renditions, photos); names never change, so caching is forever",
        responses=problems(404),
        media_type="application/octet-stream",
    )
    async def get_media(self, path: str, settings: NamedDependency[Settings]) -> File:
        found = MediaStore(settings.media_root).locate(path.lstrip("/"))
        if found is None:
            raise NotFound()
        return File(
            path=found,
            filename=found.name,
            media_type=media_type_of(found),
            content_disposition_type="inline",
            headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
        )
