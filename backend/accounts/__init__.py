"""Accounts: residents and staff, logins and their sessions, the caller's own profile,
organisations in their tree, roles held in a scope, the guard every domain asks, and the audit
log's reading for administrators."""

from backend.accounts import demo, sessions
from backend.accounts.controllers import (
    AuditController,
    AuthController,
    DevAuthController,
    LocaleController,
    MeController,
)
from backend.core.domain import Chore, Domain
from backend.settings import Settings


def _routes(settings: Settings) -> tuple[type, ...]:
    handlers = (AuthController, MeController, LocaleController, AuditController)
    return (*handlers, DevAuthController) if settings.dev_login_enabled else handlers


DOMAIN = Domain(
    name="accounts",
    builds_on=("core",),
    piccolo_apps=("backend.accounts.piccolo_app",),
    routes=_routes,
    chores=(Chore("session_retention", sessions.purge_expired, cron="17 4 * * *"),),
    seed_demo=demo.seed,
    tags=(
        ("accounts", "WeChat and staff login, sessions and logout, the caller's profile"),
        ("administration", "The audit trail, for administrators within their scope"),
    ),
)
