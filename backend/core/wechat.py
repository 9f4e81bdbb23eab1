"""Our one thin client for the WeChat server APIs (the contract is /work/shared/WECHAT.md).

Errors arrive as HTTP 200 with ``{"errcode", "errmsg"}``; they become ``WechatError``. Anything
that says "WeChat could not answer" (network trouble, timeouts, 5xx, garbage, ``-1`` busy after a
few tries) becomes ``WechatUnavailable`` so callers can degrade instead of failing a request.

Every call waits at most the httpx client's timeout (``LINLI_HTTP_TIMEOUT_SECONDS``) per attempt.
A timed-out attempt may still have reached WeChat: when a retry of a login is then refused with
40163 (code already used), the earlier attempt used the code up and the answer was lost, so that
is WeChat not answering, not a client that sent a used code.

When WeChat is busy, one refresh of the access token is tried (a few attempts, under the shared
lock); if it fails, everyone who waited for it, and whoever asks in the next
``REFRESH_HOLD_SECONDS``, hears ``WechatUnavailable`` at once instead of asking WeChat again:
no stampede on a server that is already struggling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.core import metrics

log = structlog.get_logger("linli.wechat")

_BUSY = -1
# 40001 invalid/replaced token, 40014 malformed token, 42001 expired token.
_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
_RETRYABLE_STATUS = frozenset({429})

# A fresh token is thrown away this long before WeChat would expire it, so a call in flight
# never carries a token that dies on the way (half the lifetime when the lifetime is short).
_TOKEN_SAFETY_MARGIN_SECONDS = 300.0
_LOCK_TTL_MS = 10_000
# Waiters outlast the lock's TTL, so a holder that died mid-refresh is replaced, not waited on
# forever.
_LOCK_WAIT_SECONDS = _LOCK_TTL_MS / 1000 + 2.0
_LOCK_POLL_SECONDS = 0.05
# After a token refresh failed because WeChat could not answer, nobody tries again for this long.
REFRESH_HOLD_SECONDS = 5.0
# Answers to a retried call that only mean an earlier, timed-out attempt of it did reach WeChat.
_USED_UP_BY_EARLIER_ATTEMPT = {"/sns/jscode2session": frozenset({40163})}

# Compare-and-delete: never release a lock that expired and was taken by someone else.
_RELEASE_LOCK_LUA = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""

_SECRET_QUERY_PARAMS = ("secret", "access_token", "js_code")


class WechatError(Exception):
    """WeChat answered with an errcode other than 0."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        # Both go to Exception.args so the error survives pickling (e.g. into a task queue).
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg

    def __str__(self) -> str:
        return f"WeChat errcode {self.errcode}: {self.errmsg}"


class WechatUnavailable(Exception):
    """WeChat could not be reached or gave no usable answer within our retries."""


@dataclass(frozen=True)
class WechatSession:
    openid: str
    # Kept out of repr so a logged or printed session never leaks the key.
    session_key: str = field(repr=False)
    unionid: str | None = None


class _RedactSecretsInHttpxLogs(logging.Filter):
    """httpx logs every request URL at INFO; jscode2session carries the AppSecret in its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


def _redact_url(url: httpx.URL) -> httpx.URL:
    for name in _SECRET_QUERY_PARAMS:
        if name in url.params:
            url = url.copy_set_param(name, "***")
    return url


def _install_log_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecretsInHttpxLogs) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactSecretsInHttpxLogs())


def _as_text(value: bytes | str | None) -> str | None:
    # The Redis client we are handed may or may not decode responses.
    return value.decode() if isinstance(value, bytes) else value


def _token_cache_seconds(expires_in: float) -> float:
    return expires_in - min(_TOKEN_SAFETY_MARGIN_SECONDS, expires_in / 2)


class WechatClient:
    """Calls WeChat over a shared httpx client; holds the access token (in Redis when given)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        appid: str,
        secret: str,
        redis: Redis | None = None,
        key_prefix: str = "linli:tokens:",
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._redis = redis
        self._token_key = f"{key_prefix}wechat_access_token"
        self._lock_key = f"{self._token_key}:lock"
        self._hold_key = f"{self._token_key}:refresh_failed"
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._clock = clock
        # In-process cache, used only without Redis.
        self._token: str | None = None
        self._token_valid_until = 0.0
        self._refresh_held_until = 0.0
        self._token_lock = asyncio.Lock()
        self._release_lock = redis.register_script(_RELEASE_LOCK_LUA) if redis is not None else None
        _install_log_redaction()

    def __repr__(self) -> str:
        return f"WechatClient(base_url={self._base_url!r}, appid={self._appid!r})"

    @property
    def configured(self) -> bool:
        return bool(self._appid and self._secret)

    # -- public calls ---------------------------------------------------------------------

    async def code_to_session(self, code: str) -> WechatSession:
        """Exchange a wx.login() code for the user's openid (and unionid when bound)."""
        _, payload = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self._appid,
                "secret": self._secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        openid, session_key = payload.get("openid"), payload.get("session_key")
        if not isinstance(openid, str) or not isinstance(session_key, str):
            raise WechatUnavailable("jscode2session answered without openid/session_key")
        unionid = payload.get("unionid")
        return WechatSession(
            openid=openid,
            session_key=session_key,
            unionid=unionid if isinstance(unionid, str) and unionid else None,
        )

    async def msg_sec_check(self, *, openid: str, content: str, scene: int = 3) -> str:
        """WeChat's verdict on text a user wrote (msgSecCheck v2): "pass", "review" or "risky"."""
        response = await self.post_with_token(
            "/wxa/msg_sec_check", {"content": content, "version": 2, "scene": scene, "openid": openid}
        )
        payload = _parse_payload(response) or {}
        result = payload.get("result")
        suggest = result.get("suggest") if isinstance(result, dict) else None
        if suggest not in ("pass", "review", "risky"):
            # An answer without a verdict tells us nothing about the text: as good as no answer.
            raise WechatUnavailable("msg_sec_check answered without a usable result.suggest")
        return str(suggest)

    async def generate_urllink(
        self, *, path: str, query: str = "", expire_interval: int = 30, env_version: str = "release"
    ) -> str:
        """A URL Link (``wxa/generate_urllink``) that opens ``path`` of the mini-program with
        ``query``, valid ``expire_interval`` days (1–30) from now. Once opened, a link works only
        for whoever opened it: make one per visitor, never one per page."""
        if not 1 <= expire_interval <= 30:
            raise ValueError("a URL Link expires within 1 to 30 days")
        body: dict[str, Any] = {
            "path": path,
            "query": query,
            "env_version": env_version,
            "expire_type": 1,
            "expire_interval": expire_interval,
        }
        response = await self.post_with_token("/wxa/generate_urllink", body)
        link = (_parse_payload(response) or {}).get("url_link")
        if not isinstance(link, str) or not link.startswith("https://"):
            raise WechatUnavailable("generate_urllink answered without a url_link")
        return link

    async def access_token(self) -> str:
        """A valid access token, fetched from WeChat only when nobody holds a fresh one."""
        try:
            return await self._access_token()
        except RedisError as error:
            # Without the shared store no instance may fetch a token of its own: that would
            # invalidate the others'. Callers treat this like WeChat being away.
            raise WechatUnavailable("the shared token store is unreachable") from error

    async def _access_token(self) -> str:
        if self._redis is not None:
            stored = _as_text(await self._redis.get(self._token_key))
            if stored:
                return stored
        elif self._token is not None and self._clock() < self._token_valid_until:
            return self._token
        return await self._refresh_token(failed=None)

    async def post_with_token(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST JSON with the access token; a token error gets one refresh and one retry."""
        try:
            return await self._post_with_token(path, body)
        except RedisError as error:
            raise WechatUnavailable("the shared token store is unreachable") from error

    async def _post_with_token(self, path: str, body: dict[str, Any]) -> httpx.Response:
        token = await self._access_token()
        try:
            return await self._post_json(path, token, body)
        except WechatError as exc:
            if exc.errcode not in _TOKEN_ERRCODES:
                raise
            log.info("wechat.token_rejected", path=path, errcode=exc.errcode)
        token = await self._refresh_token(failed=token)
        return await self._post_json(path, token, body)

    # -- access token ---------------------------------------------------------------------

    async def _refresh_token(self, *, failed: str | None) -> str:
        """A token other than ``failed``: someone else's fresh one if there is, else a new one."""
        if self._redis is None:
            return await self._refresh_local(failed=failed)
        return await self._refresh_shared(self._redis, failed=failed)

    async def _refresh_local(self, *, failed: str | None) -> str:
        async with self._token_lock:
            # Whoever held the lock before us may already have refreshed.
            if self._token is not None and self._token != failed and self._clock() < self._token_valid_until:
                return self._token
            if self._clock() < self._refresh_held_until:
                raise WechatUnavailable("a token refresh failed a moment ago; not asking WeChat again yet")
            try:
                token, cache_seconds = await self._fetch_stable_token()
            except WechatUnavailable:
                self._refresh_held_until = self._clock() + REFRESH_HOLD_SECONDS
                raise
            self._token, self._token_valid_until = token, self._clock() + cache_seconds
            return token

    async def _refresh_shared(self, redis: Redis, *, failed: str | None) -> str:
        assert self._release_lock is not None
        give_up_at = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            # Re-read first: another instance may have refreshed since our token was rejected.
            stored = _as_text(await redis.get(self._token_key))
            if stored and stored != failed:
                return stored
            if await redis.exists(self._hold_key):
                raise WechatUnavailable("a token refresh failed a moment ago; not asking WeChat again yet")
            holder = secrets.token_hex(16)
            if await redis.set(self._lock_key, holder, nx=True, px=_LOCK_TTL_MS):
                try:
                    # And again under the lock: the holder before us may have finished between
                    # our read and our SET NX.
                    stored = _as_text(await redis.get(self._token_key))
                    if stored and stored != failed:
                        return stored
                    # Or failed, and set the hold after we looked for it: the hold is set before
                    # the lock goes, so under the lock it is always seen.
                    if await redis.exists(self._hold_key):
                        raise WechatUnavailable("a token refresh failed a moment ago; not asking WeChat again yet")
                    try:
                        token, cache_seconds = await self._fetch_stable_token()
                    except WechatUnavailable:
                        # Before the lock goes: whoever waits for it gives up instead of asking.
                        await redis.set(self._hold_key, "1", px=int(REFRESH_HOLD_SECONDS * 1000))
                        raise
                    await redis.set(self._token_key, token, px=max(1, int(cache_seconds * 1000)))
                    return token
                finally:
                    await self._release_lock(keys=[self._lock_key], args=[holder])
            if time.monotonic() >= give_up_at:
                raise WechatUnavailable("timed out waiting for another access-token refresh")
            await asyncio.sleep(_LOCK_POLL_SECONDS)

    async def _fetch_stable_token(self) -> tuple[str, float]:
        # force_refresh=true would invalidate every other holder's token and is capped per day;
        # only a person should decide to send it.
        _, payload = await self._call(
            "POST",
            "/cgi-bin/stable_token",
            json_body={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
                "force_refresh": False,
            },
        )
        token = payload.get("access_token")
        expires_in: Any = payload.get("expires_in")
        if not isinstance(token, str) or not token:
            raise WechatUnavailable("stable_token answered without access_token")
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            raise WechatUnavailable("stable_token answered without a usable expires_in") from None
        log.info("wechat.token_refreshed", expires_in=lifetime)
        return token, _token_cache_seconds(lifetime)

    # -- transport ------------------------------------------------------------------------

    async def _post_json(self, path: str, token: str, body: dict[str, Any]) -> httpx.Response:
        response, _ = await self._call("POST", path, params={"access_token": token}, json_body=body, allow_image=True)
        return response

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        allow_image: bool = False,
    ) -> tuple[httpx.Response, dict[str, Any]]:
        """One logical call: bounded retries with backoff on busy/transport trouble.

        The payload is empty when the answer is an image.
        """
        api = path.lstrip("/")
        started = time.perf_counter()
        outcome = "unavailable"
        try:
            answer = await self._call_with_retries(method, path, params, json_body, allow_image)
            outcome = "ok"
            return answer
        except WechatError as refusal:
            outcome = "error"
            metrics.WECHAT_ERRORS.labels(api=api, errcode=str(refusal.errcode)).inc()
            raise
        finally:
            metrics.WECHAT_SECONDS.labels(api=api).observe(time.perf_counter() - started)
            metrics.WECHAT_CALLS.labels(api=api, outcome=outcome).inc()

    async def _call_with_retries(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        json_body: dict[str, Any] | None,
        allow_image: bool,
    ) -> tuple[httpx.Response, dict[str, Any]]:
        url = f"{self._base_url}/{path.lstrip('/')}"
        reason = "no attempt made"
        answer_lost = False  # an attempt may have reached WeChat without its answer reaching us
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self._backoff_seconds * 2 ** (attempt - 2))
            try:
                outcome = await self._attempt(method, url, path, params, json_body, allow_image)
            except WechatError as refusal:
                if answer_lost and refusal.errcode in _USED_UP_BY_EARLIER_ATTEMPT.get(path, ()):
                    raise WechatUnavailable(
                        f"{path}: the answer to an earlier attempt was lost ({reason})"
                    ) from refusal
                raise
            if not isinstance(outcome, _Retry):
                return outcome
            reason = outcome.reason
            answer_lost = answer_lost or outcome.answer_lost
            log.warning("wechat.retryable_failure", path=path, attempt=attempt, reason=reason)
        raise WechatUnavailable(f"{path}: {reason} after {self._max_attempts} attempt(s)")

    async def _attempt(
        self,
        method: str,
        url: str,
        path: str,
        params: dict[str, str] | None,
        json_body: dict[str, Any] | None,
        allow_image: bool,
    ) -> tuple[httpx.Response, dict[str, Any]] | _Retry:
        """One HTTP exchange: the answer, or why it is worth trying again; raises the rest."""
        try:
            response = await self._http.request(method, url, params=params, json=json_body)
        except httpx.TransportError as exc:
            # Timeouts and refused connections; only the class name, as the text may hold the URL.
            never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
            return _Retry(type(exc).__name__, answer_lost=not never_sent)
        if response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS:
            return _Retry(f"HTTP {response.status_code}", answer_lost=response.status_code in _GATEWAY_TIMEOUTS)
        if response.status_code != 200:
            raise WechatUnavailable(f"{path} answered HTTP {response.status_code}")
        if allow_image and response.headers.get("content-type", "").startswith("image/"):
            return response, {}
        payload = _parse_payload(response)
        if payload is None:
            return _Retry("a body that is not a JSON object")
        errcode = _errcode(payload)
        if errcode == _BUSY:
            # Busy does not say the request was not carried out: a login code can be used up by
            # it, and the retry then hears "code already used" for WeChat's trouble, not ours.
            return _Retry("errcode -1 (system busy)", answer_lost=True)
        if errcode != 0:
            raise WechatError(errcode, str(payload.get("errmsg", "")))
        return response, payload


# A proxy that gave up waiting for WeChat: the request may have been carried out all the same.
_GATEWAY_TIMEOUTS = frozenset({504})


@dataclass(frozen=True)
class _Retry:
    """Why an attempt is worth repeating, and whether WeChat may have acted on it anyway."""

    reason: str
    answer_lost: bool = False


def _parse_payload(response: httpx.Response) -> dict[str, Any] | None:
    # Parsed whatever the Content-Type: jscode2session sends JSON as text/plain.
    try:
        payload = json.loads(response.content)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _errcode(payload: dict[str, Any]) -> int:
    raw = payload.get("errcode", 0)
    try:
        return int(raw)  # WeChat sometimes sends it as a string.
    except (TypeError, ValueError):
        raise WechatUnavailable(f"unreadable errcode {raw!r}") from None
