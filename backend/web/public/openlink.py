"""“Open in the mini-program” from a public page: a WeChat URL Link made for one visitor.

Once someone has opened a URL Link only they can use it again, so a link is never cached or
shared: each visitor who asks gets their own (the page itself stays the same for everyone and
cacheable; the link comes from a separate POST). A mini-program may make 500,000 links a day
(URL Schemes included); the day's count is kept in the shared stores (Redis ``INCR`` when
configured, keyed by the day in Suzhou), and once it passes ``LINLI_WECHAT_URLLINK_DAILY_BUDGET``,
or when WeChat refuses or is away, the visitor is shown the event's mini-program code to scan
instead (``None`` here).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import structlog
from redis.exceptions import RedisError

from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.core.stores import NAMESPACE, Stores
from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from backend.settings import Settings

log = structlog.get_logger("linli.urllink")

LINK_DAYS = 30  # the longest WeChat allows; the visitor may keep the link for later
COUNTER = f"{NAMESPACE}:ratelimit:wechat_urllink:{{day}}"
_COUNTER_TTL = timedelta(days=2)
# Without Redis (one process): the counter is kept in the in-process cache store.
_local_lock = asyncio.Lock()


def link_query(event_id: uuid.UUID, share_code: str | None) -> str:
    """What the mini-program's event page receives: the event, and the share code that credits the
    neighbour who shared it when the visitor signs up."""
    params = {"id": str(event_id)}
    if share_code:
        params["share"] = share_code
    return urlencode(params)


async def count_today(stores: Stores) -> int | None:
    """Count one more link against today's budget; the count so far, or None if unknown."""
    key = COUNTER.format(day=clock.now().astimezone(CITY_TZ).date().isoformat())
    if stores.redis is not None:
        try:
            async with stores.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, int(_COUNTER_TTL.total_seconds()))
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            log.warning("urllink.counter_unavailable")
            return None
        return int(count)
    async with _local_lock:
        held = await stores.cache.get(key)
        count = int(held or 0) + 1
        await stores.cache.set(key, str(count).encode(), expires_in=int(_COUNTER_TTL.total_seconds()))
        return count


async def open_link(
    *, event_id: uuid.UUID, share_code: str | None, wechat: WechatClient, stores: Stores, settings: Settings
) -> str | None:
    """A URL Link to the event in the mini-program for this visitor, or None: show the code."""
    if not wechat.configured:
        return None
    used = await count_today(stores)
    if used is None or used > settings.wechat_urllink_daily_budget:
        log.warning("urllink.budget_reached", used=used, budget=settings.wechat_urllink_daily_budget)
        return None
    try:
        return await wechat.generate_urllink(
            path=settings.wechat_event_page, query=link_query(event_id, share_code), expire_interval=LINK_DAYS
        )
    except (WechatError, WechatUnavailable) as error:
        log.warning("urllink.failed", error=str(error))
        return None
