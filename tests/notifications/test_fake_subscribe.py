"""The fake WeChat server's subscribe-message endpoint answers as WECHAT.md says the real one does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.wechat import FakeWechat
from tests.fakes.wechat_subscribe import SUBSCRIBE_SEND_PATH

OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
TEMPLATE = "tplFakeTemplate01"


@pytest.fixture
def wechat(fake_wechat: FakeWechat) -> FakeWechat:
    fake_wechat.add_template(TEMPLATE, ["thing1", "time2", "phrase3", "name4", "number5", "character_string6", "date7"])
    return fake_wechat


async def _token(http: httpx.AsyncClient, base: str, fake: FakeWechat) -> str:
    answer = await http.post(
        f"{base}/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret},
    )
    return answer.json()["access_token"]


def _message(**values: str) -> dict[str, Any]:
    data = {"thing1": "评弹欣赏会", "time2": "2026年11月28日 14:00", **values}
    return {"touser": OPENID, "template_id": TEMPLATE, "data": {key: {"value": value} for key, value in data.items()}}


async def _send(http: httpx.AsyncClient, base: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post(f"{base}{SUBSCRIBE_SEND_PATH}", params={"access_token": token}, json=body)
    assert answer.status_code == 200
    return answer.json()


async def test_grants_count_down_to_43101(http: httpx.AsyncClient, wechat_base_url: str, wechat: FakeWechat) -> None:
    token = await _token(http, wechat_base_url, wechat)
    wechat.grant(OPENID, TEMPLATE, 2)
    assert (await _send(http, wechat_base_url, token, _message()))["errcode"] == 0
    assert (await _send(http, wechat_base_url, token, _message()))["errcode"] == 0
    refused = await _send(http, wechat_base_url, token, _message())
    assert refused["errcode"] == 43101
    assert wechat.sent_count(OPENID, TEMPLATE) == 2
    assert wechat.sent_count("oSomeoneElse0000000000000000") == 0
    assert wechat.grants(OPENID, TEMPLATE) == 0
    assert wechat.subscribe_refusals[43101] == 1


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"thing1": "x" * 21}, "thing1"),
        ({"time2": "Nov 28, 2:00 PM"}, "time2"),
        ({"phrase3": "已经确认了的"}, "phrase3"),
        ({"phrase3": "ok"}, "phrase3"),
        ({"name4": "张" * 11}, "name4"),
        ({"number5": "1" * 33}, "number5"),
        ({"number5": "two"}, "number5"),
        ({"character_string6": "x" * 33}, "character_string6"),
        ({"date7": "28/11/2026"}, "date7"),
        ({"thing1": ""}, "thing1"),
        ({"thing9": "not in the template"}, "thing9"),
    ],
)
async def test_a_value_over_its_limit_is_47003_naming_the_key(
    http: httpx.AsyncClient, wechat_base_url: str, wechat: FakeWechat, values: dict[str, str], key: str
) -> None:
    token = await _token(http, wechat_base_url, wechat)
    wechat.grant(OPENID, TEMPLATE)
    refused = await _send(http, wechat_base_url, token, _message(**values))
    assert refused["errcode"] == 47003
    assert f"data.{key}.value" in refused["errmsg"]
    assert wechat.grants(OPENID, TEMPLATE) == 1  # a refused message takes nothing


async def test_values_within_limits_are_taken(
    http: httpx.AsyncClient, wechat_base_url: str, wechat: FakeWechat
) -> None:
    token = await _token(http, wechat_base_url, wechat)
    wechat.grant(OPENID, TEMPLATE)
    accepted = await _send(
        http,
        wechat_base_url,
        token,
        _message(
            thing1="x" * 20,
            time2="2026-11-28 14:00",
            phrase3="已确认",
            name4="张" * 10,
            number5="12.5",
            character_string6="K7M2Q9XA",
            date7="2026年11月28日",
        ),
    )
    assert accepted["errcode"] == 0 and accepted["msgid"]


async def test_token_template_openid_and_concurrency_errors(
    http: httpx.AsyncClient, wechat_base_url: str, wechat: FakeWechat
) -> None:
    token = await _token(http, wechat_base_url, wechat)
    wechat.grant(OPENID, TEMPLATE, 5)
    assert (await _send(http, wechat_base_url, token, {**_message(), "template_id": "tplUnknown"}))["errcode"] == 40037
    assert (await _send(http, wechat_base_url, token, {**_message(), "touser": "dev:someone"}))["errcode"] == 40003
    assert (await _send(http, wechat_base_url, token, {**_message(), "page": "/pages/index"}))["errcode"] == 41030
    wechat.reject_concurrent(1)
    assert (await _send(http, wechat_base_url, token, _message()))["errcode"] == 43108
    wechat.expire_tokens()
    assert (await _send(http, wechat_base_url, token, _message()))["errcode"] == 40001
    fresh = await _token(http, wechat_base_url, wechat)
    assert (await _send(http, wechat_base_url, fresh, _message()))["errcode"] == 0
    assert wechat.grants(OPENID, TEMPLATE) == 4
