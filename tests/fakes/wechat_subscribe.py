"""The fake WeChat server's subscribe messages (``/cgi-bin/message/subscribe/send``).

The account's templates (``add_template``), each user's one-time grants per template (``grant``,
counted down by every delivered message: none left answers 43101), the keyword types' limits
(a value over its limit answers 47003 naming its key), 43108 on demand, and counters of what
was delivered. Mixed into ``FakeWechat``, whose lock, wire helpers and token check it uses.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.wechat import Reply, Request

SUBSCRIBE_SEND_PATH = "/cgi-bin/message/subscribe/send"
# Real openids are 28 characters of [0-9A-Za-z_-]; a made-up "dev:…" one is refused (40003).
_OPENID = re.compile(r"^[0-9A-Za-z_-]{6,64}$")

# What each keyword type of a subscribe template accepts (WECHAT.md), by the key's prefix.
KEYWORD_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "number": 32, "character_string": 32, "letter": 32}
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_DATE = r"\d{4}(?:年\d{1,2}月\d{1,2}日|-\d{2}-\d{2})"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"
_TIME_POINT = rf"(?:{_DATE} )?{_CLOCK}"
_DATE_POINT = rf"{_DATE}(?: {_CLOCK})?"
_FORMATS = {
    "time": re.compile(rf"^{_TIME_POINT}(?:\s?~\s?{_TIME_POINT})?$"),
    "date": re.compile(rf"^{_DATE_POINT}(?:\s?~\s?{_DATE_POINT})?$"),
    "number": re.compile(r"^[+-]?\d+(?:\.\d+)?$"),
    "character_string": re.compile(r"^[\x21-\x7e]+$"),
    "letter": re.compile(r"^[A-Za-z]+$"),
    "phrase": re.compile(r"^[\u4e00-\u9fff]+$"),
}


def keyword_value_fits(key: str, value: object) -> bool:
    """Whether WeChat would take ``value`` for a data key such as ``thing1`` or ``time2``."""
    match = _KEY.match(key)
    if match is None or not isinstance(value, str) or not value.strip():
        return False
    kind = match.group(1)
    if kind in KEYWORD_LIMITS and len(value) > KEYWORD_LIMITS[kind]:
        return False
    pattern = _FORMATS.get(kind)
    return pattern is None or bool(pattern.match(value))


class SubscribeMessages:
    """State, knobs and handler of subscribe messages (a part of ``FakeWechat``)."""

    # FakeWechat's own: its lock and its wire helpers.
    _mutex: threading.RLock
    error: Callable[[int, str], Reply]
    ok: Callable[..., Reply]

    def _reset_subscriptions(self) -> None:
        self._templates: dict[str, frozenset[str] | None] = {}
        self._grants: Counter[tuple[str, str]] = Counter()
        self._concurrent_remaining = 0
        # What was delivered (bodies as sent), and the errcodes of refused sends.
        self.subscribe_messages: list[dict[str, Any]] = []
        self.subscribe_refusals: Counter[int] = Counter()

    # -- knobs ----------------------------------------------------------------------------

    def add_template(self, template_id: str, keywords: Iterable[str] | None = None) -> None:
        """A subscribe-message template of the account; with ``keywords``, data keys outside
        them are refused (47003). Sends to a template never added get 40037."""
        with self._mutex:
            self._templates[template_id] = frozenset(keywords) if keywords is not None else None

    def grant(self, openid: str, template_id: str, n: int = 1) -> None:
        """The user accepted ``template_id`` ``n`` more times (one-time subscriptions add up)."""
        with self._mutex:
            self._grants[(openid, template_id)] += n

    def set_grants(self, openid: str, template_id: str, n: int) -> None:
        with self._mutex:
            self._grants[(openid, template_id)] = n

    def grants(self, openid: str, template_id: str) -> int:
        """Subscriptions left; each delivered message takes one, none left answers 43101."""
        with self._mutex:
            return self._grants[(openid, template_id)]

    def reject_concurrent(self, n: int) -> None:
        """The next ``n`` subscribe sends answer 43108 (concurrent sends to one user)."""
        with self._mutex:
            self._concurrent_remaining = n

    def sent_count(self, openid: str | None = None, template_id: str | None = None) -> int:
        """Subscribe messages delivered, optionally to one user and/or of one template."""
        with self._mutex:
            return sum(
                1
                for message in self.subscribe_messages
                if (openid is None or message["touser"] == openid)
                and (template_id is None or message["template_id"] == template_id)
            )

    def messages_to(self, openid: str) -> list[dict[str, Any]]:
        with self._mutex:
            return [message for message in self.subscribe_messages if message["touser"] == openid]

    # -- the endpoint -----------------------------------------------------------------------

    def _subscribe_send(self, request: Request, body: dict[str, Any]) -> Reply:
        refused = self._subscribe_refusal(body)
        if refused is not None:
            self.subscribe_refusals[refused[0]] += 1
            return self.error(*refused)
        grant = (body["touser"], body["template_id"])
        if self._grants[grant] <= 0:
            self.subscribe_refusals[43101] += 1
            return self.error(43101, "user refuse to accept the msg")
        if self._concurrent_remaining > 0:
            self._concurrent_remaining -= 1
            self.subscribe_refusals[43108] += 1
            return self.error(43108, "concurrent sends to the same user are not allowed")
        self._grants[grant] -= 1
        self.subscribe_messages.append(body)
        return self.ok({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)})

    def _subscribe_refusal(self, body: dict[str, Any]) -> tuple[int, str] | None:
        """Why WeChat would refuse this message before looking at the user's subscriptions."""
        template_id, touser, data = body.get("template_id"), body.get("touser"), body.get("data")
        if not isinstance(template_id, str) or template_id not in self._templates:
            return 40037, "invalid template_id"
        if not isinstance(touser, str) or not _OPENID.match(touser):
            return 40003, "invalid openid"
        page = body.get("page", "")
        if not isinstance(page, str) or page.startswith("/"):
            return 41030, "invalid page"
        if not isinstance(data, dict) or not data:
            return 47003, "argument invalid! data is empty"
        keywords = self._templates[template_id]
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if (keywords is not None and key not in keywords) or not keyword_value_fits(key, value):
                return 47003, f"argument invalid! data.{key}.value invalid"
        return None
