"""Helpers for console tests over HTTP: sign a staff member in through the login form, read a
page's CSRF token, send a form as the browser (or htmx) would."""

from __future__ import annotations

import re

import httpx

from backend.accounts.tables import User

PASSWORD = "a long password"  # what tests.factories.staff gives everyone


def csrf_of(html: str) -> str:
    found = re.search(r'name="_csrf" value="([^"]*)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> str:
    """Log in through /console/login as a browser does; the CSRF token of the pages after."""
    login = await client.get("/console/login")
    assert login.status_code == 200, login.text
    answer = await client.post(
        "/console/login",
        data={"username": user.username, "password": password, "_csrf": csrf_of(login.text), "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get(answer.headers["location"])
    if home.status_code == 303:  # sent on to choose a password first
        home = await client.get(home.headers["location"])
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


async def send(client: httpx.AsyncClient, path: str, csrf: str, *, htmx: bool = False, **fields: str) -> httpx.Response:
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf} if htmx else {}
    data = fields if htmx else {**fields, "_csrf": csrf}
    return await client.post(path, data=data, headers=headers)
