"""WechatClient against the fake WeChat server, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.core.wechat import WechatClient, WechatError, WechatSession, WechatUnavailable
from tests.fakes.wechat import FakeWechat, serve_fake_wechat

MakeClient = Callable[..., WechatClient]


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _fake_server() -> Iterator[tuple[FakeWechat, str]]:
    fake = FakeWechat()
    with serve_fake_wechat(fake) as base_url:
        yield fake, base_url


@pytest.fixture
def fake(_fake_server: tuple[FakeWechat, str]) -> FakeWechat:
    server_fake, _ = _fake_server
    server_fake.reset()
    return server_fake


@pytest.fixture
def base_url(_fake_server: tuple[FakeWechat, str]) -> str:
    return _fake_server[1]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def make_client(fake: FakeWechat, base_url: str, http: httpx.AsyncClient) -> MakeClient:
    def make(**overrides: object) -> WechatClient:
        options: dict[str, object] = {
            "http": http,
            "base_url": base_url,
            "appid": fake.appid,
            "secret": fake.secret,
            # No real waiting between retries in tests.
            "backoff_seconds": 0.0,
        }
        options.update(overrides)
        return WechatClient(**options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def client(make_client: MakeClient) -> WechatClient:
    return make_client()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def key_prefix() -> str:
    # A unique namespace per test isolates it without flushing a Redis others may share.
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture
async def redis_pair(redis_url: str) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two connections, as two app processes would have."""
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


class _InstrumentedRedis(Redis):
    """Reports every GET, so a test can tell that a waiter really polled, and can slip another
    process's work in just before the next SET NX (``before_lock``) or plain SET
    (``before_store``), to hit a race window on purpose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads: asyncio.Queue[bytes | str | None] = asyncio.Queue()
        self.before_lock: Callable[[], Awaitable[object]] | None = None
        self.before_store: Callable[[], Awaitable[object]] | None = None

    async def get(self, name: Any) -> Any:
        value = await super().get(name)
        self.reads.put_nowait(value)
        return value

    async def set(self, *args: Any, **kwargs: Any) -> Any:
        hook_name = "before_lock" if kwargs.get("nx") else "before_store"
        if (interleaved := getattr(self, hook_name)) is not None:
            setattr(self, hook_name, None)
            await interleaved()
        return await super().set(*args, **kwargs)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _expect_errcode(call: Awaitable[object], errcode: int) -> WechatError:
    with pytest.raises(WechatError) as caught:
        await call
    assert caught.value.errcode == errcode
    return caught.value


# -- code2Session -------------------------------------------------------------------------


async def test_code_to_session_returns_openid_and_session_key(fake: FakeWechat, client: WechatClient) -> None:
    session = await client.code_to_session(fake.issue_code("o-alice"))

    assert session.openid == "o-alice"
    assert session.session_key
    assert session.unionid is None
    assert fake.login_calls == 1


async def test_code_to_session_returns_unionid_when_bound(fake: FakeWechat, client: WechatClient) -> None:
    session = await client.code_to_session(fake.issue_code("o-bob", unionid="u-bob"))

    assert session == WechatSession(openid="o-bob", session_key=session.session_key, unionid="u-bob")


async def test_jscode2session_text_plain_body_is_parsed_as_json(
    fake: FakeWechat, base_url: str, http: httpx.AsyncClient, client: WechatClient
) -> None:
    # Pin the fake's fidelity, so the parsing test below means something.
    raw = await http.get(f"{base_url}/sns/jscode2session", params={"appid": fake.appid})
    assert raw.headers["content-type"].startswith("text/plain")

    session = await client.code_to_session(fake.issue_code("o-carol"))

    assert session.openid == "o-carol"


async def test_session_key_is_not_in_repr(fake: FakeWechat, client: WechatClient) -> None:
    session = await client.code_to_session(fake.issue_code("o-dan"))

    assert session.session_key not in repr(session)


async def test_used_code_is_40163(fake: FakeWechat, client: WechatClient) -> None:
    code = fake.issue_code("o-erin")
    await client.code_to_session(code)

    await _expect_errcode(client.code_to_session(code), 40163)


async def test_expired_code_is_40029(fake: FakeWechat, client: WechatClient) -> None:
    code = fake.issue_code("o-frank")
    fake.advance(301)

    await _expect_errcode(client.code_to_session(code), 40029)


async def test_unknown_code_is_40029(client: WechatClient) -> None:
    await _expect_errcode(client.code_to_session("never-issued"), 40029)


async def test_blocked_user_is_40226(fake: FakeWechat, client: WechatClient) -> None:
    fake.block("o-mallory")

    error = await _expect_errcode(client.code_to_session(fake.issue_code("o-mallory")), 40226)

    assert "rid:" in error.errmsg


async def test_101st_login_in_a_minute_is_45011(fake: FakeWechat, client: WechatClient) -> None:
    for _ in range(100):
        await client.code_to_session(fake.issue_code("o-busy-bee"))

    await _expect_errcode(client.code_to_session(fake.issue_code("o-busy-bee")), 45011)

    fake.advance(61)
    assert (await client.code_to_session(fake.issue_code("o-busy-bee"))).openid == "o-busy-bee"


async def test_wrong_secret_is_40125_and_wrong_appid_40013(make_client: MakeClient) -> None:
    await _expect_errcode(make_client(secret="wrong").code_to_session("x"), 40125)
    await _expect_errcode(make_client(appid="wx-wrong").code_to_session("x"), 40013)


async def test_errcode_sent_as_string_is_converted(fake: FakeWechat, client: WechatClient) -> None:
    fake.errcode_as_string = True
    code = fake.issue_code("o-grace")
    await client.code_to_session(code)

    await _expect_errcode(client.code_to_session(code), 40163)


async def test_configured_needs_appid_and_secret(make_client: MakeClient) -> None:
    assert make_client().configured
    assert not make_client(secret="").configured
    assert not make_client(appid="").configured


async def test_secret_and_code_never_reach_the_logs(
    fake: FakeWechat, client: WechatClient, caplog: pytest.LogCaptureFixture
) -> None:
    code = fake.issue_code("o-heidi")
    with caplog.at_level(logging.DEBUG):
        session = await client.code_to_session(code)
        await client.access_token()

    assert "jscode2session" in caplog.text  # httpx did log the request...
    for secret in (fake.secret, code, session.session_key, fake.current_token):
        assert secret and secret not in caplog.text  # ...without what must stay secret


# -- retries ------------------------------------------------------------------------------


async def test_busy_twice_then_success_is_retried(fake: FakeWechat, client: WechatClient) -> None:
    fake.busy(2)

    session = await client.code_to_session(fake.issue_code("o-ivan"))

    assert session.openid == "o-ivan"
    assert fake.login_calls == 3


async def test_busy_beyond_max_attempts_is_unavailable(fake: FakeWechat, client: WechatClient) -> None:
    fake.busy(3)

    with pytest.raises(WechatUnavailable):
        await client.code_to_session(fake.issue_code("o-judy"))
    assert fake.login_calls == 3


async def test_5xx_is_retried_then_unavailable(fake: FakeWechat, make_client: MakeClient) -> None:
    fake.fail_http(1, status=502)
    assert (await make_client().access_token()) == fake.current_token

    fake.fail_http(2, status=503)
    with pytest.raises(WechatUnavailable):
        await make_client(max_attempts=2).access_token()


async def test_nothing_listening_is_unavailable(fake: FakeWechat, make_client: MakeClient) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_free_port()}")

    with pytest.raises(WechatUnavailable):
        await client.code_to_session(fake.issue_code("o-karl"))


async def test_timeout_is_retried_then_unavailable(fake: FakeWechat, base_url: str, make_client: MakeClient) -> None:
    async with httpx.AsyncClient(timeout=0.05) as impatient:
        client = make_client(http=impatient, max_attempts=2)
        fake.stall(1, seconds=1.0)
        assert (await client.code_to_session(fake.issue_code("o-lena"))).openid == "o-lena"

        fake.stall(2, seconds=1.0)
        with pytest.raises(WechatUnavailable):
            await client.code_to_session(fake.issue_code("o-lena"))


# -- access token -------------------------------------------------------------------------


async def test_access_token_is_cached(fake: FakeWechat, client: WechatClient) -> None:
    tokens = [await client.access_token() for _ in range(5)]
    tokens += await asyncio.gather(*(client.access_token() for _ in range(20)))

    assert set(tokens) == {fake.current_token}
    assert fake.token_calls == 1
    assert fake.forced_refreshes == 0


async def test_concurrent_first_calls_fetch_once(fake: FakeWechat, client: WechatClient) -> None:
    tokens = await asyncio.gather(*(client.access_token() for _ in range(20)))

    assert set(tokens) == {fake.current_token}
    assert fake.token_calls == 1


async def test_expires_in_is_honoured(fake: FakeWechat, make_client: MakeClient) -> None:
    clock = FakeClock()
    client = make_client(clock=clock)
    fake.expires_in = 600  # cached until 300 s before expiry

    first = await client.access_token()
    clock.now += 299
    assert await client.access_token() == first
    assert fake.token_calls == 1

    clock.now += 2
    fake.advance(301)
    await client.access_token()
    assert fake.token_calls == 2


async def test_short_expires_in_is_cached_for_half_its_life(fake: FakeWechat, make_client: MakeClient) -> None:
    clock = FakeClock()
    client = make_client(clock=clock)
    fake.expires_in = 60

    await client.access_token()
    clock.now += 29
    await client.access_token()
    assert fake.token_calls == 1

    clock.now += 2
    await client.access_token()
    assert fake.token_calls == 2


async def test_token_error_from_stable_token_is_raised(make_client: MakeClient) -> None:
    await _expect_errcode(make_client(secret="wrong").access_token(), 40125)


# -- post_with_token ----------------------------------------------------------------------


def _sec_check(text: str) -> dict[str, object]:
    return {"content": text, "version": 2, "scene": 2, "openid": "o-mike"}


async def test_post_with_token_returns_the_response(fake: FakeWechat, client: WechatClient) -> None:
    response = await client.post_with_token("/wxa/msg_sec_check", _sec_check("你好，邻里"))

    assert response.json()["result"] == {"suggest": "pass", "label": 100}
    assert fake.sec_checks[0]["content"] == "你好，邻里"


async def test_post_with_token_refreshes_once_on_40001(fake: FakeWechat, client: WechatClient) -> None:
    stale = await client.access_token()
    fake.expire_tokens()

    response = await client.post_with_token("/wxa/msg_sec_check", _sec_check("hello"))

    assert response.json()["errcode"] == 0
    assert fake.token_calls == 2
    assert fake.current_token != stale
    assert fake.calls["/wxa/msg_sec_check"] == 2


async def test_post_with_token_refreshes_on_42001(fake: FakeWechat, make_client: MakeClient) -> None:
    clock = FakeClock()
    client = make_client(clock=clock)
    await client.access_token()
    # WeChat let the token die early (our clock still thinks it is fresh).
    fake.advance(7201)

    response = await client.post_with_token("/wxa/msg_sec_check", _sec_check("hello"))

    assert response.json()["errcode"] == 0
    assert fake.token_calls == 2


async def test_post_with_token_retries_only_once(fake: FakeWechat, client: WechatClient) -> None:
    # Every token the fake hands out is dead on arrival: the retry must not turn into a loop.
    fake.expires_in = 0

    await _expect_errcode(client.post_with_token("/wxa/msg_sec_check", _sec_check("hi")), 42001)

    assert fake.calls["/wxa/msg_sec_check"] == 2
    assert fake.token_calls == 2


async def test_concurrent_40001s_refresh_once(fake: FakeWechat, client: WechatClient) -> None:
    await client.access_token()
    fake.expire_tokens()

    responses = await asyncio.gather(
        *(client.post_with_token("/wxa/msg_sec_check", _sec_check("hi")) for _ in range(10))
    )

    assert all(r.json()["errcode"] == 0 for r in responses)
    assert fake.token_calls == 2


async def test_post_with_token_raises_other_errcodes(fake: FakeWechat, client: WechatClient) -> None:
    fake.mark_inactive("o-mike")

    await _expect_errcode(client.post_with_token("/wxa/msg_sec_check", _sec_check("hello")), 61010)
    assert fake.token_calls == 1


async def test_post_with_token_returns_image_bytes(fake: FakeWechat, client: WechatClient) -> None:
    response = await client.post_with_token("/wxa/getwxacodeunlimit", {"scene": "e=8Kq2", "page": "pages/event/detail"})

    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_wxacode_scene_errors(client: WechatClient) -> None:
    path = "/wxa/getwxacodeunlimit"
    await _expect_errcode(client.post_with_token(path, {"scene": "x" * 33}), 40169)
    await _expect_errcode(client.post_with_token(path, {"scene": "e=é"}), 40129)
    await _expect_errcode(client.post_with_token(path, {"scene": "e=1", "page": "/pages/a"}), 41030)


async def test_fake_rejects_form_encoded_bodies(fake: FakeWechat, base_url: str, http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{base_url}/cgi-bin/stable_token",
        data={"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret},
    )

    assert response.json()["errcode"] == 47001


# -- one token holder across instances (Redis) --------------------------------------------


@pytest.fixture
async def shared_clients(
    fake: FakeWechat, base_url: str, redis_pair: tuple[Redis, Redis], key_prefix: str
) -> AsyncIterator[tuple[WechatClient, WechatClient]]:
    """Two instances, as in two app processes: separate httpx and Redis clients, one Redis."""
    async with httpx.AsyncClient(timeout=5.0) as one, httpx.AsyncClient(timeout=5.0) as two:
        first, second = (
            WechatClient(
                http=http,
                base_url=base_url,
                appid=fake.appid,
                secret=fake.secret,
                redis=redis,
                key_prefix=key_prefix,
                backoff_seconds=0.0,
            )
            for http, redis in zip((one, two), redis_pair, strict=True)
        )
        yield first, second


async def test_shared_token_is_fetched_once_across_instances(
    fake: FakeWechat, shared_clients: tuple[WechatClient, WechatClient]
) -> None:
    first, second = shared_clients

    tokens = await asyncio.gather(*(c.access_token() for _ in range(10) for c in (first, second)))

    assert len(tokens) == 20
    assert set(tokens) == {fake.current_token}
    assert fake.token_calls == 1


async def test_shared_token_refresh_after_40001_happens_once(
    fake: FakeWechat, shared_clients: tuple[WechatClient, WechatClient]
) -> None:
    first, second = shared_clients
    stale = await first.access_token()
    assert await second.access_token() == stale
    fake.expire_tokens()

    posts = [c.post_with_token("/wxa/msg_sec_check", _sec_check("hi")) for _ in range(5) for c in (first, second)]
    responses = await asyncio.gather(*posts)

    assert all(r.json()["errcode"] == 0 for r in responses)
    assert fake.token_calls == 2
    assert {await first.access_token(), await second.access_token()} == {fake.current_token}


async def test_shared_token_lives_in_redis_with_its_ttl(
    fake: FakeWechat,
    shared_clients: tuple[WechatClient, WechatClient],
    redis_pair: tuple[Redis, Redis],
    key_prefix: str,
) -> None:
    fake.expires_in = 600
    token = await shared_clients[0].access_token()

    redis = redis_pair[0]
    key = f"{key_prefix}wechat_access_token"
    assert (await redis.get(key)) == token.encode()
    # 600 s minus the 300 s margin; the bounds only absorb the test's own run time.
    assert 290_000 < await redis.pttl(key) <= 300_000
    assert not await redis.exists(f"{key}:lock")


@pytest.fixture
async def instrumented(
    fake: FakeWechat,
    base_url: str,
    http: httpx.AsyncClient,
    redis_url: str,
    key_prefix: str,
) -> AsyncIterator[tuple[WechatClient, _InstrumentedRedis]]:
    redis = _InstrumentedRedis.from_url(redis_url)
    assert isinstance(redis, _InstrumentedRedis)  # from_url is typed as returning the base class
    client = WechatClient(
        http=http,
        base_url=base_url,
        appid=fake.appid,
        secret=fake.secret,
        redis=redis,
        key_prefix=key_prefix,
    )
    try:
        yield client, redis
    finally:
        await redis.aclose()


async def test_shared_refresh_waits_for_the_lock_holder(
    fake: FakeWechat,
    instrumented: tuple[WechatClient, _InstrumentedRedis],
    redis_pair: tuple[Redis, Redis],
    key_prefix: str,
) -> None:
    client, redis = instrumented
    other_process = redis_pair[0]
    token_key = f"{key_prefix}wechat_access_token"
    lock_key = f"{token_key}:lock"
    await other_process.set(lock_key, "someone-else", px=10_000)

    waiting = asyncio.create_task(client.access_token())
    assert await redis.reads.get() is None  # the first look
    assert await redis.reads.get() is None  # a re-read after failing to take the lock
    await other_process.set(token_key, "their-token", px=60_000)

    assert await waiting == "their-token"
    assert fake.token_calls == 0
    assert await other_process.get(lock_key) == b"someone-else"  # not ours to release


async def test_shared_refresh_rereads_after_taking_the_lock(
    fake: FakeWechat,
    instrumented: tuple[WechatClient, _InstrumentedRedis],
    redis_pair: tuple[Redis, Redis],
    key_prefix: str,
) -> None:
    client, redis = instrumented
    other_process = redis_pair[0]
    # Another process stores its fresh token after our first look but before our SET NX.
    redis.before_lock = lambda: other_process.set(f"{key_prefix}wechat_access_token", "their-token", px=60_000)

    assert await client.access_token() == "their-token"
    assert fake.token_calls == 0


async def test_shared_refresh_never_releases_a_lock_it_lost(
    fake: FakeWechat,
    instrumented: tuple[WechatClient, _InstrumentedRedis],
    redis_pair: tuple[Redis, Redis],
    key_prefix: str,
) -> None:
    client, redis = instrumented
    other_process = redis_pair[0]
    lock_key = f"{key_prefix}wechat_access_token:lock"
    # Our refresh outlived the lock's TTL and another process took the lock meanwhile.
    redis.before_store = lambda: other_process.set(lock_key, "someone-else", px=10_000)

    assert await client.access_token() == fake.current_token
    assert await other_process.get(lock_key) == b"someone-else"


async def test_fake_sec_check_verdict_knobs(fake: FakeWechat, client: WechatClient) -> None:
    fake.review_words.add("maybe")
    fake.risky_words.add("scam")

    verdicts = [
        (await client.post_with_token("/wxa/msg_sec_check", _sec_check(text))).json()["result"]
        for text in ("fine", "maybe later", "a scam")
    ]

    assert [v["suggest"] for v in verdicts] == ["pass", "review", "risky"]


async def test_an_unreachable_token_store_is_wechat_unavailable(fake: FakeWechat, make_client: MakeClient) -> None:
    """Without Redis no instance may fetch a token of its own (it would invalidate the others')."""
    dead = Redis.from_url(f"redis://127.0.0.1:{_free_port()}/0", socket_connect_timeout=1)
    client = make_client(redis=dead)
    try:
        with pytest.raises(WechatUnavailable):
            await client.access_token()
        with pytest.raises(WechatUnavailable):
            await client.post_with_token(
                "/wxa/msg_sec_check", {"content": "hi", "version": 2, "scene": 1, "openid": "o"}
            )
    finally:
        await dead.aclose()
    assert fake.token_calls == 0


async def test_a_code_used_up_while_wechat_said_busy_is_wechat_unavailable(
    fake: FakeWechat, client: WechatClient
) -> None:
    """The retry after a busy answer hears 40163: that is WeChat's trouble, not a used code."""
    code = fake.issue_code("o-unlucky")
    fake.busy(1, carried_out=True)
    with pytest.raises(WechatUnavailable):
        await client.code_to_session(code)
