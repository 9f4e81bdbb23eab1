"""A fake of the WeChat server APIs, served over real HTTP on loopback (see WECHAT.md).

``FakeWechat`` is both the state with its knobs and a raw ASGI app, so tests drive every branch
the real server can take (used code, blocked user, expired token, busy, rate limit) without a
network. Handlers are plain methods returning a ``Reply``; a new endpoint is one method plus one
line in ``_routes``. Time is ``now()``, which tests move with ``advance()`` instead of sleeping.
Subscribe messages (templates, grants, keyword limits) are in ``wechat_subscribe.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from PIL import Image

from tests.fakes.wechat_subscribe import SUBSCRIBE_SEND_PATH, SubscribeMessages

JSON = "application/json; charset=utf-8"
# What the real jscode2session sends for every answer, although the body is JSON.
TEXT_PLAIN = "text/plain"
_TEXT_PLAIN_PATHS = frozenset({"/sns/jscode2session"})

_SCENE_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$")
_QUERY_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    body: bytes
    content_type: str = JSON
    status: int = 200


@dataclass
class _Code:
    openid: str
    unionid: str | None
    expires_at: float
    used: bool = False


@dataclass
class _Token:
    value: str
    expires_at: float
    revoked: bool = False


# What a stalled call does (see ``FakeWechat.stall``).
STALL_MODES = ("late", "lost", "answered_late")


@dataclass
class _Stall:
    """The next ``remaining`` calls wait ``seconds`` before answering (to trip client timeouts)."""

    remaining: int = 0
    seconds: float = 0.0
    mode: str = "late"


@dataclass
class _HttpFailure:
    remaining: int = 0
    status: int = 502


Handler = Callable[[Request], Reply]


class FakeWechat(SubscribeMessages):
    """State, knobs and ASGI app of the fake WeChat server."""

    def __init__(self, *, appid: str = "wxfake0123456789", secret: str = "fake-app-secret") -> None:
        self.appid = appid
        self.secret = secret
        # Handlers run on the server's thread while tests turn knobs on theirs.
        self._mutex = threading.RLock()
        self._generation = 0
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/sns/jscode2session"): self._jscode2session,
            ("POST", "/cgi-bin/stable_token"): self._stable_token,
            ("POST", "/wxa/msg_sec_check"): self._authenticated(self._msg_sec_check),
            ("POST", "/wxa/getwxacodeunlimit"): self._authenticated(
                self._getwxacodeunlimit,
                not_json=(40169, "invalid length for scene, or the data is not json"),
            ),
            ("POST", SUBSCRIBE_SEND_PATH): self._authenticated(self._subscribe_send),
            ("POST", "/wxa/generate_urllink"): self._authenticated(self._generate_urllink),
        }
        self.reset()

    def reset(self) -> None:
        """Back to a fresh server with default knobs (appid and secret are kept)."""
        with self._mutex:
            # Stalled requests of an earlier test must not touch this test's state.
            self._generation += 1
            self.clock_offset = 0.0
            self.errcode_as_string = False
            self.expires_in = 7200
            self.login_rate_limit = 100
            self.risky_words: set[str] = set()
            self.review_words: set[str] = set()
            # Requests per path that reached a known endpoint, busy and failed answers included.
            self.calls: Counter[str] = Counter()
            self.forced_refreshes = 0
            # What authenticated endpoints received, for assertions on what we sent.
            self.sec_checks: list[dict[str, Any]] = []
            self.wxacodes: list[dict[str, Any]] = []
            self.urllinks: list[dict[str, Any]] = []
            # URL Links (and URL Schemes) a mini-program may make a day; past it, 45009.
            self.urllink_daily_limit = 500_000
            self._codes: dict[str, _Code] = {}
            self._blocked: set[str] = set()
            self._inactive: set[str] = set()
            self._logins: defaultdict[str, deque[float]] = defaultdict(deque)
            self._token: _Token | None = None
            self._busy_remaining = 0
            self._busy_carried_out = False
            self._http_failure = _HttpFailure()
            self._stall = _Stall()
            self._reset_subscriptions()

    # -- knobs ----------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock: codes, tokens and rate-limit windows age without waiting."""
        with self._mutex:
            self.clock_offset += seconds

    def issue_code(self, openid: str, *, unionid: str | None = None, ttl_seconds: float = 300) -> str:
        """What wx.login() would hand the mini-program: single-use, lives ``ttl_seconds``."""
        code = secrets.token_urlsafe(24)
        with self._mutex:
            self._codes[code] = _Code(openid, unionid, self.now() + ttl_seconds)
        return code

    def block(self, openid: str) -> None:
        """Logins of this user get 40226 (high-risk user)."""
        with self._mutex:
            self._blocked.add(openid)

    def mark_inactive(self, openid: str) -> None:
        """msg_sec_check for this user gets 61010 (not in the app in the last 2 hours)."""
        with self._mutex:
            self._inactive.add(openid)

    def busy(self, n: int, *, carried_out: bool = False) -> None:
        """The next ``n`` calls of any endpoint answer errcode -1; ``carried_out``: WeChat did the
        work all the same (a login code is then used up), as a busy WeChat sometimes does."""
        with self._mutex:
            self._busy_remaining = n
            self._busy_carried_out = carried_out

    def fail_http(self, n: int, *, status: int = 502) -> None:
        """The next ``n`` calls answer an HTML error page with this HTTP status."""
        with self._mutex:
            self._http_failure = _HttpFailure(n, status)

    def stall(self, n: int, *, seconds: float, mode: str = "late") -> None:
        """The next ``n`` calls answer only after ``seconds`` (real time, to trip timeouts).

        ``mode`` says what WeChat made of them: ``late``, carried out after the wait (the request
        reached WeChat late, as on a congested link); ``lost``, never carried out (an overloaded
        WeChat dropped it: nothing happened); ``answered_late``, carried out at once, only the
        answer comes after the wait (the caller cannot tell whether it worked)."""
        if mode not in STALL_MODES:
            raise ValueError(f"mode is one of {STALL_MODES}")
        with self._mutex:
            self._stall = _Stall(n, seconds, mode)

    def expire_tokens(self) -> None:
        """Issued access tokens stop working (40001); the next stable_token issues a new one."""
        with self._mutex:
            if self._token is not None:
                self._token.revoked = True

    @property
    def token_calls(self) -> int:
        return self.calls["/cgi-bin/stable_token"]

    @property
    def login_calls(self) -> int:
        return self.calls["/sns/jscode2session"]

    @property
    def current_token(self) -> str | None:
        with self._mutex:
            return self._token.value if self._token is not None else None

    # -- wire helpers ---------------------------------------------------------------------

    def error(self, errcode: int, errmsg: str) -> Reply:
        code: int | str = str(errcode) if self.errcode_as_string else errcode
        rid = secrets.token_hex(4)
        return self.ok({"errcode": code, "errmsg": f"{errmsg} rid: {rid}"})

    @staticmethod
    def ok(payload: dict[str, Any], content_type: str = JSON) -> Reply:
        return Reply(json.dumps(payload, ensure_ascii=False).encode(), content_type)

    def _json_body(
        self, request: Request, not_json: tuple[int, str] = (47001, "data format error hint")
    ) -> dict[str, Any] | Reply:
        if request.content_type.startswith("application/x-www-form-urlencoded"):
            return self.error(47001, "data format error hint")
        try:
            body = request.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else self.error(*not_json)

    def _token_error(self, value: str | None) -> Reply | None:
        if not value:
            return self.error(41001, "access_token missing")
        token = self._token
        if token is None or token.value != value or token.revoked:
            return self.error(40001, "invalid credential, access_token is invalid or not latest")
        if token.expires_at <= self.now():
            return self.error(42001, "access_token expired")
        return None

    def _authenticated(
        self,
        handler: Callable[[Request, dict[str, Any]], Reply],
        *,
        not_json: tuple[int, str] = (47001, "data format error hint"),
    ) -> Handler:
        def checked(request: Request) -> Reply:
            if (denied := self._token_error(request.query.get("access_token"))) is not None:
                return denied
            body = self._json_body(request, not_json)
            return body if isinstance(body, Reply) else handler(request, body)

        return checked

    # -- endpoints ------------------------------------------------------------------------

    def _jscode2session(self, request: Request) -> Reply:
        q = request.query
        if q.get("appid") != self.appid:
            return self.error(40013, "invalid appid")
        if q.get("secret") != self.secret:
            return self.error(40125, "invalid appsecret")
        if q.get("grant_type") != "authorization_code":
            return self.error(40002, "invalid grant_type")
        code = self._codes.get(q.get("js_code", ""))
        if code is None or code.expires_at <= self.now():
            return self.error(40029, "invalid code")
        if code.used:
            return self.error(40163, "code been used")
        if code.openid in self._blocked:
            code.used = True
            return self.error(40226, "invalid user, high risk user")
        if not self._allow_login(code.openid):
            return self.error(45011, "api minute-quota reach limit  mustslower  retry next minute")
        code.used = True
        payload = {"openid": code.openid, "session_key": secrets.token_urlsafe(18)}
        if code.unionid is not None:
            payload["unionid"] = code.unionid
        return self.ok(payload)

    def _allow_login(self, openid: str) -> bool:
        window = self._logins[openid]
        now = self.now()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.login_rate_limit:
            return False
        window.append(now)
        return True

    def _stable_token(self, request: Request) -> Reply:
        body = self._json_body(request)
        if isinstance(body, Reply):
            return body
        if body.get("grant_type") != "client_credential":
            return self.error(40002, "invalid grant_type")
        if body.get("appid") != self.appid:
            return self.error(40013, "invalid appid")
        if body.get("secret") != self.secret:
            return self.error(40125, "invalid appsecret")
        forced = body.get("force_refresh") is True
        self.forced_refreshes += forced
        token = self._token
        if forced or token is None or token.revoked or token.expires_at <= self.now():
            token = self._token = _Token(secrets.token_urlsafe(32), self.now() + self.expires_in)
        # Like the real stable_token, an unchanged token reports its remaining lifetime.
        remaining = max(0, round(token.expires_at - self.now()))
        return self.ok({"access_token": token.value, "expires_in": remaining})

    def _msg_sec_check(self, request: Request, body: dict[str, Any]) -> Reply:
        content, openid = body.get("content"), body.get("openid")
        if not isinstance(content, str) or len(content) > 2500 or body.get("version") != 2:
            return self.error(47001, "data format error hint")
        if body.get("scene") not in (1, 2, 3, 4) or not isinstance(openid, str) or not openid:
            return self.error(40003, "invalid openid or scene")
        if openid in self._inactive:
            return self.error(61010, "user is not in the app in the last 2 hours")
        self.sec_checks.append(body)
        suggest, label = "pass", 100
        if any(word in content for word in self.review_words):
            suggest, label = "review", 20001
        if any(word in content for word in self.risky_words):
            suggest, label = "risky", 20001
        return self.ok(
            {
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
                "trace_id": secrets.token_hex(8),
            }
        )

    def _getwxacodeunlimit(self, request: Request, body: dict[str, Any]) -> Reply:
        scene, page = body.get("scene"), body.get("page", "pages/index/index")
        if not isinstance(scene, str) or len(scene) > 32:
            return self.error(40169, "invalid length for scene, or the data is not json")
        if not _SCENE_CHARS.match(scene):
            return self.error(40129, "invalid scene")
        if not isinstance(page, str) or page.startswith("/") or "?" in page:
            return self.error(41030, "invalid page")
        self.wxacodes.append(body)
        return Reply(_tiny_png(), "image/png")

    def _generate_urllink(self, request: Request, body: dict[str, Any]) -> Reply:
        path, query = body.get("path", ""), body.get("query", "")
        if not isinstance(path, str) or path.startswith("/") or "?" in path:
            return self.error(40165, "invalid weapp pagepath")
        if not isinstance(query, str) or len(query) > 1024 or not _QUERY_CHARS.match(query):
            return self.error(40212, "invalid query")
        if body.get("env_version", "release") not in ("release", "trial", "develop"):
            return self.error(85402, "invalid env_version")
        expire_type = body.get("expire_type", 0)
        if expire_type == 1:
            interval = body.get("expire_interval")
            if not isinstance(interval, int) or not 1 <= interval <= 30:
                return self.error(85401, "time limit between 1min and 30 days")
        else:
            expire_time = body.get("expire_time")
            if not isinstance(expire_time, int) or not self.now() < expire_time <= self.now() + 30 * 86400:
                return self.error(85401, "time limit between 1min and 30 days")
        if len(self.urllinks) >= self.urllink_daily_limit:
            return self.error(45009, "reach max api daily quota limit")
        self.urllinks.append(body)
        return self.ok({"errcode": 0, "errmsg": "ok", "url_link": f"https://wxaurl.cn/{secrets.token_urlsafe(9)}"})

    # -- ASGI -----------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Reply:
        reply = self._answer(request)
        if request.path in _TEXT_PLAIN_PATHS and reply.content_type == JSON:
            return replace(reply, content_type=TEXT_PLAIN)
        return reply

    def _answer(self, request: Request) -> Reply:
        with self._mutex:
            handler = self._routes.get((request.method, request.path))
            if handler is None:
                return Reply(b"<html>404 Not Found</html>", "text/html", 404)
            self.calls[request.path] += 1
            if self._http_failure.remaining > 0:
                self._http_failure.remaining -= 1
                status = self._http_failure.status
                return Reply(f"<html>{status} Bad Gateway</html>".encode(), "text/html", status)
            if self._busy_remaining > 0:
                self._busy_remaining -= 1
                if self._busy_carried_out:
                    handler(request)
                return self.error(-1, "system error")
            return handler(request)

    def _take_stall(self) -> tuple[float, str]:
        with self._mutex:
            if self._stall.remaining <= 0:
                return 0.0, "late"
            self._stall.remaining -= 1
            return self._stall.seconds, self._stall.mode

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope["query_string"].decode("latin-1"))),
            content_type=headers.get("content-type", ""),
            body=b"".join(chunks),
        )
        generation = self._generation
        delay, mode = self._take_stall()
        if mode == "answered_late":
            reply = self._dispatch(request)
            await asyncio.sleep(delay)
        else:
            # Stalls before processing: the request reaches WeChat late, or never.
            await asyncio.sleep(delay)
            if mode == "lost":
                reply = Reply(b"<html>504 Gateway Time-out</html>", "text/html", 504)
            elif generation == self._generation:
                reply = self._dispatch(request)
            else:
                reply = Reply(b"<html>503 reset</html>", "text/html", 503)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [
                    (b"content-type", reply.content_type.encode()),
                    (b"content-length", str(len(reply.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


_PNG_CACHE: list[bytes] = []


def _tiny_png() -> bytes:
    if not _PNG_CACHE:
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), (7, 193, 96)).save(buffer, format="PNG")
        _PNG_CACHE.append(buffer.getvalue())
    return _PNG_CACHE[0]


@contextmanager
def serve_fake_wechat(fake: FakeWechat) -> Iterator[str]:
    """Serve ``fake`` with uvicorn on a free loopback port; yields its base URL."""
    # Binding here (port 0) rather than letting uvicorn pick avoids a find-then-bind race.
    # The explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it every response stalls ~40 ms on Nagle plus delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake,
        lifespan="off",
        log_level="warning",
        access_log=False,
        loop="asyncio",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    # uvicorn installs signal handlers only on the main thread, so a thread is safe here.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-wechat", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake WeChat server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
