"""``linli seed-demo``: plausible data for every domain, safe to run more than once."""

from __future__ import annotations

from backend.accounts import demo as accounts_demo
from backend.events import demo as events_demo
from backend.inclusion import demo as inclusion_demo
from backend.libraries import demo as libraries_demo
from backend.volunteers import demo as volunteers_demo


async def seed_all(*, secret_key: str) -> str:
    accounts = await accounts_demo.seed()
    events = await events_demo.seed(accounts)
    branches = await libraries_demo.seed(accounts)
    teams = await volunteers_demo.seed(accounts, secret_key=secret_key)
    rewards = await inclusion_demo.seed(accounts)
    lines = [
        f"demo data ready: {len(accounts.organisations)} organisations, {len(accounts.staff)} staff accounts",
        f"staff log in at POST /api/v1/auth/login with password {accounts_demo.DEMO_PASSWORD!r}: "
        + ", ".join(accounts.staff),
        "residents log in at POST /api/v1/auth/dev-login (development only) or with WeChat",
        f"demo events: {events} created" if events else "demo events: already there, none added",
        f"demo library branches: {branches} created" if branches else "demo library branches: already there, none added",
        f"demo volunteer teams: {teams} created (volunteer: dev-login with openid demo-volunteer)"
        if teams
        else "demo volunteer teams: already there, none added",
        f"demo rewards: {rewards} created in 南园社区's points supermarket" if rewards else "demo rewards: already there, none added",
    ]
    return "\n".join(lines)
