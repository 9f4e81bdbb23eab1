"""HTTP for share cards: the poster with its code, and what a scanned code points to."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.core.wechat import WechatClient
from backend.events.sharing import services
from backend.events.sharing.schemas import ShareLinkTarget
from backend.settings import Settings

PNG = "image/png"
CARD_CACHE_CONTROL = "private, max-age=300"


def _resident_id(visitor: Principal | None) -> uuid.UUID | None:
    """Residents are recorded as the sharer; staff and anonymous callers share the event's link."""
    return visitor.id if visitor is not None and visitor.kind == "resident" else None


def _options(settings: Settings) -> services.CardOptions:
    return services.CardOptions(
        event_page=settings.wechat_event_page, public_base_url=settings.public_base_url, media_root=settings.media_root
    )


class ShareCardController(Controller):
    path = "/api/v1"
    tags = ["events"]

    @get(
        "/events/{event_id:uuid}/share-card",
        operation_id="get_share_card",
        summary="A 750×1334 PNG poster of the event in the caller's language, with a code that opens it",
        description=(
            "With a resident's token the code records them as the sharer. The code is the WeChat "
            "mini-program code when WeChat is configured, else a QR code of the share link's page "
            "(LINLI_PUBLIC_BASE_URL/s/<code>). The event's poster is drawn in when it has one."
        ),
        media_type=PNG,
        # A PNG is compressed already; gzip would spend CPU to gain nothing (needs
        # CompressionConfig(exclude_opt_key="skip_compression") in backend.app).
        opt={"skip_compression": True},
        responses={**problems(404), 200: ResponseSpec(data_container=bytes, media_type=PNG, description="the card")},
    )
    async def share_card(
        self,
        visitor: Principal | None,
        event_id: uuid.UUID,
        cache: NamedDependency[VersionedCache],
        wechat: NamedDependency[WechatClient],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        png = await services.share_card(
            event_id=event_id, sharer_id=_resident_id(visitor), cache=cache, wechat=wechat, options=_options(settings)
        )
        return Response(content=png, media_type=PNG, headers={"Cache-Control": CARD_CACHE_CONTROL})

    @get(
        "/share-links/{code:str}",
        operation_id="resolve_share_link",
        summary="The event a share card's code points to (the mini-program calls this with the scanned scene)",
        responses=problems(404),
    )
    async def resolve_share_link(self, code: str) -> ShareLinkTarget:
        return ShareLinkTarget(event_id=await services.resolve_share_link(code=code))
