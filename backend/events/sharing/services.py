"""Share cards: an event's poster in the caller's language, with a code that opens the event.

The code is the mini-program code of WeChat's ``getwxacodeunlimit`` when WeChat is configured,
carrying a short opaque scene (``e=<share link code>``) that ``resolve_share_link`` maps back to
the event; without WeChat, or when WeChat fails, it is a plain QR code of the share link's public
page (``/s/<code>``, which shows the event). The event's poster, when it has one, is drawn in. Each
resident who shares gets their own link (for "bring a neighbour" later); anonymous callers share
one per event. Queries run on the event loop; drawing, the CPU part, runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog
from piccolo.querystring import QueryString

from backend.core import clock
from backend.core.cache import VersionedCache
from backend.core.errors import NotFound
from backend.core.i18n import N_, get_locale
from backend.core.media import MediaStore
from backend.core.values import as_uuid
from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from backend.events.catalogue.queries import get_event, get_venue
from backend.events.sharing.cards import card_text, render_card
from backend.events.sharing.tables import ShareLink
from backend.events.signals import CACHE_NAMESPACE

log = structlog.get_logger("linli.share_cards")

CODE_ALPHABET = string.digits + string.ascii_letters
CODE_LENGTH = 8  # 62⁸ ≈ 2·10¹⁴ codes: unguessable enough for ids that reveal nothing personal
_CODE = re.compile(r"[0-9A-Za-z]{1,16}")
SCENE_PREFIX = "e="
DEFAULT_EVENT_PAGE = "pages/event/index"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
WXACODE_WIDTH = 280

CARD_TTL_SECONDS = 300
# A card drawn with the fallback QR because WeChat failed is kept briefly, so WeChat is tried
# again soon; a mini-program code never changes for a scene and is kept for a day.
FALLBACK_CARD_TTL_SECONDS = 60
WXACODE_NAMESPACE = "wxacode"
WXACODE_TTL_SECONDS = 24 * 3600


SHARE_PAGE = "/s/{code}"  # the public page of a share link: it shows the event
# The poster rendition drawn on a card: the narrowest JPEG at least as wide as the card.
_RENDITION = re.compile(r"^w(\d+)\.jpg$")
CARD_WIDTH = 750


@dataclass(frozen=True)
class CardOptions:
    event_page: str = DEFAULT_EVENT_PAGE  # the mini-program page that opens an event
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL  # for the QR code when WeChat is not there
    media_root: Path | None = None  # where the poster's renditions are; None draws no poster


def share_page_url(public_base_url: str, code: str) -> str:
    """The public address a share link's QR code holds (``LINLI_PUBLIC_BASE_URL`` + ``/s/<code>``)."""
    return public_base_url.rstrip("/") + SHARE_PAGE.format(code=code)


# --- share links ---------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def _find_code(event_id: uuid.UUID, sharer_id: uuid.UUID | None) -> str | None:
    sharer = ShareLink.sharer.is_null() if sharer_id is None else ShareLink.sharer == sharer_id
    # The oldest wins, so callers that raced to create one all end up handing out the same code.
    row = (
        await ShareLink.select(ShareLink.code)
        .where((ShareLink.event == event_id) & sharer)
        .order_by(ShareLink.created_at, ShareLink.id)
        .first()
    )
    return row["code"] if row else None


async def share_link_code(*, event_id: uuid.UUID, sharer_id: uuid.UUID | None) -> str:
    """The sharer's one link to the event; anonymous callers share one link per event."""
    if (code := await _find_code(event_id, sharer_id)) is not None:
        return code
    for _attempt in range(5):
        # A clash with an existing code inserts nothing, and we draw another.
        await ShareLink.insert(
            ShareLink(code=_new_code(), event=event_id, sharer=sharer_id, created_at=clock.now())
        ).on_conflict(action="DO NOTHING")
        if (code := await _find_code(event_id, sharer_id)) is not None:
            return code
    raise RuntimeError("no free share-link code after 5 draws")


async def resolve_share_link(*, code: str) -> uuid.UUID:
    """The event a scanned code points to (the code alone, or the whole scene ``e=<code>``)."""
    code = code.removeprefix(SCENE_PREFIX)
    row = None
    if _CODE.fullmatch(code):
        row = await ShareLink.select(ShareLink.event).where(ShareLink.code == code).first()
    if row is None:
        raise NotFound("share_link_not_found", N_("This share link does not exist."))
    return as_uuid(row["event"])


async def referrer(*, share_code: str | None, event_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID | None:
    """Whose share card of this event brought the resident. A stale or foreign card, or one's own,
    credits nobody, and never stands in the way of signing up."""
    code = share_code_of(share_code)
    if code is None:
        return None
    row = (
        await ShareLink.select(ShareLink.sharer).where((ShareLink.code == code) & (ShareLink.event == event_id)).first()
    )
    sharer = row["sharer"] if row else None
    return sharer if sharer != user_id else None


def share_code_of(share_code: str | None) -> str | None:
    """The card's code as stored, or None for one that cannot be ours."""
    code = (share_code or "").strip().removeprefix(SCENE_PREFIX)
    return code if code and len(code) <= 16 and code.isalnum() else None


def referrer_subquery(*, share_code: str | None, event_id: uuid.UUID, user_id: uuid.UUID) -> QueryString | None:
    """``referrer`` as a scalar subquery, for a hot path that writes the registration in one
    statement; None where no card can credit anyone."""
    code = share_code_of(share_code)
    if code is None:
        return None
    return QueryString(
        "(SELECT sharer FROM event_share_link WHERE code = {} AND event = {} AND sharer <> {})", code, event_id, user_id
    )


# --- the card ------------------------------------------------------------------------------------


async def share_card(
    *,
    event_id: uuid.UUID,
    sharer_id: uuid.UUID | None,
    cache: VersionedCache,
    wechat: WechatClient,
    options: CardOptions,
) -> bytes:
    """A PNG of the event in the current locale; a draft is not found, even by its organisers."""
    event = await get_event(event_id=event_id, user_id=None)
    code = await share_link_code(event_id=event.id, sharer_id=sharer_id)
    # Any write to events bumps the namespace's version, so a changed event is drawn again.
    key, hit = await cache.lookup(CACHE_NAMESPACE, "share-card", get_locale(), str(event.id), code)
    if hit is not None:
        return hit
    text = card_text(event, await get_venue(event.venue))
    wxacode = await _wxacode(wechat, cache, scene=SCENE_PREFIX + code, page=options.event_page)
    link = share_page_url(options.public_base_url, code)
    poster = await _poster(event.poster, options.media_root)
    png = await asyncio.to_thread(render_card, text, wxacode=wxacode, link=link, poster=poster)
    await cache.set(key, png, ttl=CARD_TTL_SECONDS if wxacode or not wechat.configured else FALLBACK_CARD_TTL_SECONDS)
    return png


async def _poster(renditions: object, media_root: Path | None) -> bytes | None:
    """The bytes of the poster rendition a card draws, or None (no poster, or its file is gone)."""
    if media_root is None or not isinstance(renditions, Mapping) or not renditions:
        return None
    widths = {int(m.group(1)): path for key, path in renditions.items() if (m := _RENDITION.match(key))}
    if not widths:
        return None
    wide_enough = [width for width in widths if width >= CARD_WIDTH]
    chosen = widths[min(wide_enough) if wide_enough else max(widths)]
    found = MediaStore(media_root).locate(chosen)
    return await asyncio.to_thread(found.read_bytes) if found is not None else None


async def _wxacode(wechat: WechatClient, cache: VersionedCache, *, scene: str, page: str) -> bytes | None:
    """The mini-program code for ``scene``, or None without WeChat or when WeChat fails."""
    if not wechat.configured:
        return None
    key, hit = await cache.lookup(WXACODE_NAMESPACE, page, scene)
    if hit is not None:
        return hit
    body = {"scene": scene, "page": page, "width": WXACODE_WIDTH, "check_path": False, "env_version": "release"}
    try:
        response = await wechat.post_with_token("/wxa/getwxacodeunlimit", body)
    except (WechatError, WechatUnavailable) as error:
        log.warning("share_card.wxacode_failed", scene=scene, error=str(error))
        return None
    if not response.headers.get("content-type", "").startswith("image/"):
        log.warning("share_card.wxacode_not_an_image", scene=scene)
        return None
    await cache.set(key, response.content, ttl=WXACODE_TTL_SECONDS)
    return response.content
