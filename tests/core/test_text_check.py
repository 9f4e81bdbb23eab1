"""WechatClient.msg_sec_check against the fake WeChat server: verdicts, errors, and no answer."""

from __future__ import annotations

import socket

import httpx
import pytest

from backend.core.wechat import WechatClient, WechatError, WechatUnavailable
from tests.fakes.wechat import FakeWechat

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def _client(http: httpx.AsyncClient, fake: FakeWechat, base_url: str) -> WechatClient:
    return WechatClient(http=http, base_url=base_url, appid=fake.appid, secret=fake.secret, backoff_seconds=0.0)


@pytest.fixture
def wechat(http: httpx.AsyncClient, fake_wechat: FakeWechat, wechat_base_url: str) -> WechatClient:
    return _client(http, fake_wechat, wechat_base_url)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_plain_text_passes_and_the_request_follows_the_contract(
    wechat: WechatClient, fake_wechat: FakeWechat
) -> None:
    assert await wechat.msg_sec_check(openid=OPENID, content="3号楼楼道堆放杂物") == "pass"

    assert fake_wechat.sec_checks == [{"content": "3号楼楼道堆放杂物", "version": 2, "scene": 3, "openid": OPENID}]


async def test_the_scene_is_passed_through(wechat: WechatClient, fake_wechat: FakeWechat) -> None:
    await wechat.msg_sec_check(openid=OPENID, content="hello", scene=2)

    assert fake_wechat.sec_checks[0]["scene"] == 2


async def test_review_and_risky_verdicts_come_back_as_wechat_gave_them(
    wechat: WechatClient, fake_wechat: FakeWechat
) -> None:
    fake_wechat.review_words = {"可疑"}
    fake_wechat.risky_words = {"违禁"}

    assert await wechat.msg_sec_check(openid=OPENID, content="有点可疑") == "review"
    assert await wechat.msg_sec_check(openid=OPENID, content="违禁内容") == "risky"
    assert await wechat.msg_sec_check(openid=OPENID, content="可疑又违禁") == "risky"


async def test_a_user_away_from_the_app_is_a_wechat_error(wechat: WechatClient, fake_wechat: FakeWechat) -> None:
    fake_wechat.mark_inactive(OPENID)

    with pytest.raises(WechatError) as caught:
        await wechat.msg_sec_check(openid=OPENID, content="hello")

    assert caught.value.errcode == 61010


async def test_an_expired_token_is_refreshed_once(wechat: WechatClient, fake_wechat: FakeWechat) -> None:
    await wechat.access_token()
    fake_wechat.expire_tokens()

    assert await wechat.msg_sec_check(openid=OPENID, content="hello") == "pass"

    assert fake_wechat.token_calls == 2


async def test_busy_answers_are_retried(wechat: WechatClient, fake_wechat: FakeWechat) -> None:
    await wechat.access_token()
    fake_wechat.busy(2)

    assert await wechat.msg_sec_check(openid=OPENID, content="hello") == "pass"

    assert fake_wechat.calls["/wxa/msg_sec_check"] == 3


async def test_busy_beyond_the_retries_is_unavailable(wechat: WechatClient, fake_wechat: FakeWechat) -> None:
    await wechat.access_token()
    fake_wechat.busy(10)

    with pytest.raises(WechatUnavailable):
        await wechat.msg_sec_check(openid=OPENID, content="hello")


async def test_an_unreachable_wechat_is_unavailable(http: httpx.AsyncClient, fake_wechat: FakeWechat) -> None:
    wechat = _client(http, fake_wechat, f"http://127.0.0.1:{_closed_port()}")

    with pytest.raises(WechatUnavailable):
        await wechat.msg_sec_check(openid=OPENID, content="hello")


@pytest.mark.parametrize("answer", [{"errcode": 0, "errmsg": "ok"}, {"errcode": 0, "result": {"suggest": "maybe"}}])
async def test_an_answer_without_a_verdict_is_unavailable(answer: dict[str, object]) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "token", "expires_in": 7200})
        return httpx.Response(200, json=answer)

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as http:
        wechat = WechatClient(http=http, base_url="https://wechat.test", appid="wx1", secret="s", backoff_seconds=0.0)
        with pytest.raises(WechatUnavailable):
            await wechat.msg_sec_check(openid=OPENID, content="hello")
