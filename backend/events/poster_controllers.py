"""HTTP for posters: an organiser uploads one image; the answer lists its renditions' URLs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.status_codes import HTTP_200_OK

from backend.core.auth import principal_of, requires_login
from backend.core.cache import VersionedCache
from backend.core.images import ImageLimits
from backend.core.media import MediaStore
from backend.core.openapi import problems
from backend.events import posters
from backend.settings import Settings


class PosterUpload(msgspec.Struct):
    file: UploadFile


class PosterRead(msgspec.Struct):
    poster_urls: Annotated[
        dict[str, str],
        msgspec.Meta(
            description="rendition (w<width>.webp / w<width>.jpg, never wider than the upload) → URL",
            examples=[
                {
                    "w480.webp": "/media/posters/3f0c9a1b2d4e5f60-w480.webp",
                    "w480.jpg": "/media/posters/3f0c9a1b2d4e5f60-w480.jpg",
                }
            ],
        ),
    ]


def image_limits(settings: Settings) -> ImageLimits:
    # The image can never be larger than the request that carries it.
    return ImageLimits(max_bytes=settings.max_image_bytes)


async def _read(upload: UploadFile, limit: int) -> bytes:
    """At most one byte past the limit: enough to know it is too large, never the whole file."""
    try:
        return await upload.read(limit + 1)
    finally:
        await upload.close()


class PosterController(Controller):
    path = "/api/v1/events/{event_id:uuid}/poster"
    tags = ["events"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @post(
        operation_id="upload_poster",
        summary="Upload the event's poster (JPEG, PNG, WebP or GIF); renditions in several widths",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 413, 422),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        data: Annotated[PosterUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: NamedDependency[Settings],
        cache: NamedDependency[VersionedCache],
    ) -> PosterRead:
        limits = image_limits(settings)
        image = await _read(data.file, limits.max_bytes)
        urls = await posters.set_poster(
            user_id=principal_of(request).id,
            event_id=event_id,
            data=image,
            store=MediaStore(settings.media_root),
            cache=cache,
            limits=limits,
        )
        return PosterRead(poster_urls=urls)
