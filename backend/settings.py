"""Typed settings read from ``LINLI_*`` environment variables.

Nothing here runs at import time: ``Settings.from_env()`` is called by the app factory, the CLI
and ``piccolo_conf.py``. Development defaults are safe for one laptop; production refuses them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

if TYPE_CHECKING:
    from backend.core.crypto import DataKeys

DEFAULT_SECRET_KEY = "linli-development-secret-do-not-use-in-production"
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(ValueError):
    """A setting is malformed, or unsafe for the environment it is used in."""


def _env_field(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    env: str = _env_field("development", "development, test or production")
    database_url: str = _env_field(
        "sqlite:///var/linli.sqlite",
        "sqlite:///path/to/file.sqlite (the embedded default) or postgresql://user:pass@host:port/db",
    )
    database_pool_size: int = _env_field(10, "PostgreSQL pool size per process")
    database_behind_pgbouncer: bool = _env_field(
        False,
        "LINLI_DATABASE_URL is a PgBouncer in transaction mode: no statement is kept prepared on a "
        "connection (each query takes one more round trip)",
    )
    database_replica_url: str = _env_field(
        "",
        "postgresql://… of a streaming replica of LINLI_DATABASE_URL: public reads (event list and page, library "
        "branches, public pages) go there, unless the reader wrote something it has not replayed yet; empty: every "
        "read on the primary",
    )
    sqlite_busy_timeout_seconds: float = _env_field(10.0, "how long a SQLite writer waits for the lock before failing")
    redis_url: str = _env_field(
        "",
        "redis://host:port/db, or redis+sentinel://host:port[,host:port…]/service[/db] through Redis Sentinel; "
        "empty means in-process stores (one process only)",
    )
    secret_key: str = _env_field(
        DEFAULT_SECRET_KEY, "signs our tokens; at least 32 characters in production", secret=True
    )
    data_keys: str = _env_field(
        "",
        "keys that seal real names and identity documents: id:base64-of-32-bytes, comma-separated, the first "
        "sealing new data (`linli data-key` makes one); empty: derived from LINLI_SECRET_KEY, development only",
        secret=True,
    )
    token_ttl_seconds: int = _env_field(7 * 24 * 3600, "lifetime of a resident's access token")
    staff_token_ttl_seconds: int = _env_field(12 * 3600, "lifetime of a staff access token")
    wechat_appid: str = _env_field("", "mini-program AppID")
    wechat_secret: str = _env_field("", "mini-program AppSecret", secret=True)
    wechat_api_base: str = _env_field("https://api.weixin.qq.com", "WeChat server API base URL")
    wechat_event_page: str = _env_field(
        "pages/event/index", "mini-program page a share card's code opens (no leading slash, no query)"
    )
    public_base_url: str = _env_field(
        "http://127.0.0.1:8000", "this API's public address, for share cards' QR codes when WeChat is not configured"
    )
    http_timeout_seconds: float = _env_field(3.0, "timeout of every outbound HTTP call (WeChat included)")
    media_root: Path = _env_field(Path("var/media"), "where uploaded and generated files live")
    private_media_root: str = _env_field(
        "",
        "where private files live (incident photos, service-record PDFs), served only through routes that check "
        "who asks, never under /media; empty: a folder `private` beside LINLI_MEDIA_ROOT",
    )
    dev_login: bool | None = _env_field(
        None,
        "development-only POST /api/v1/auth/dev-login; on by default outside production",
    )
    login_rate_limit: int = _env_field(
        10, "password and development logins per client address per minute (password changes: per account)"
    )
    wechat_login_rate_limit: int = _env_field(10, "WeChat code logins per WeChat user (openid) per minute")
    wechat_login_address_limit: int = _env_field(
        300,
        "WeChat code logins per client address per minute: only a ceiling against floods, since residents "
        "on one mobile network share an address",
    )
    signup_rate_limit: int = _env_field(30, "event sign-ups and cancellations per resident per minute")
    calendar_rate_limit: int = _env_field(
        120, "calendar file downloads per client address per minute (calendar services poll from shared addresses)"
    )
    calendar_feed_rate_limit: int = _env_field(
        10, "new calendar-feed addresses one resident may make per hour (each revokes the one before)"
    )
    poster_rate_limit: int = _env_field(10, "event poster uploads per account per minute (each is decoded and resized)")
    check_in_opens_minutes: int = _env_field(
        60, "how many minutes before an event starts its door opens: earlier scans are refused and change nothing"
    )
    occupancy_fresh_minutes: int = _env_field(
        30, "how long a reported count of free e-reading seats is trusted; after that it shows as unknown"
    )
    max_upcoming_registrations: int = _env_field(
        10, "confirmed places one resident may hold in upcoming events (against seat hoarding)"
    )
    max_request_bytes: int = _env_field(10 * 1024 * 1024, "largest request body accepted")
    signal_sweep_seconds: float = _env_field(
        30.0, "how often each process re-delivers signals a crash left behind; 0 turns it off"
    )
    housekeeping_seconds: float = _env_field(
        300.0,
        "without Redis, the process runs the periodic jobs (no-shows, forgotten check-outs, reminders…) "
        "on their own schedule; 0 turns that off (with Redis, `linli worker` runs them)",
    )
    worker_concurrency: int = _env_field(10, "jobs one `linli worker` process runs at the same time")
    max_image_bytes: int = _env_field(
        8 * 1024 * 1024, "largest uploaded image (posters, photos); at most LINLI_MAX_REQUEST_BYTES"
    )
    volunteer_milestone_hours: str = _env_field(
        "100,300,600,1000,1500", "verified volunteer hours that reach each star level, ascending, comma-separated"
    )
    map_tiles: str = _env_field(
        "",
        "map tiles for the patrol routes' maps in the console, a URL template such as "
        "https://tiles.example.cn/{z}/{x}/{y}.png (fetched by the server); empty: routes show their "
        "checkpoints as a list with coordinates",
    )
    map_attribution: str = _env_field("", "the credit the tile source asks for, printed on each map")
    record_check_rate_limit: int = _env_field(30, "service-record verification lookups per client address per minute")
    wechat_urllink_daily_budget: int = _env_field(
        450_000,
        'URL Links the public pages may ask WeChat for per day (Suzhou time) before "open in the mini-program" '
        "shows the mini-program code instead (WeChat allows 500,000 a day, URL Schemes included)",
    )
    urllink_rate_limit: int = _env_field(
        10, '"open in the mini-program" links one client address may ask for per minute'
    )
    incident_rate_limit: int = _env_field(
        10, "incident reports per resident per hour (each asks WeChat to check its text and sends notices)"
    )
    incident_photo_rate_limit: int = _env_field(20, "incident photo uploads per resident per hour")
    points_expire_months: int = _env_field(0, "months after which earned participation points expire; 0: never")
    redemption_rate_limit: int = _env_field(10, "reward redemptions per resident per minute")
    reward_image_rate_limit: int = _env_field(20, "reward picture uploads per staff account per minute")
    wechat_notice_page: str = _env_field(
        "pages/notifications/index", "mini-program page a subscribe message opens (the resident's inbox)"
    )
    wechat_template_registration: str = _env_field(
        "", "subscribe-message template for 'registration confirmed' (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_promotion: str = _env_field(
        "", "template for 'promoted from the waitlist' (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_event_changed: str = _env_field(
        "", "template for 'event changed' (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_event_cancelled: str = _env_field(
        "", "template for 'event cancelled' (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_event_reminder: str = _env_field(
        "", "template for event reminders, 24 h and 2 h before (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_shift_reminder: str = _env_field(
        "", "template for volunteer shift reminders (thing1 time2 thing3 thing4); empty: inbox only"
    )
    wechat_template_hours_verified: str = _env_field(
        "", "template for 'volunteer hours verified' (thing1 number2 date3 thing4); empty: inbox only"
    )
    wechat_template_reward_ready: str = _env_field(
        "", "template for 'reward ready for pickup' (thing1 character_string2 thing3 thing4); empty: inbox only"
    )
    metrics_token: str = _env_field(
        "",
        "bearer token Prometheus sends to GET /metrics; empty: /metrics is open outside production, off in it",
        secret=True,
    )
    api_docs: bool | None = _env_field(
        None, "serve /schema (Swagger UI, Scalar and the OpenAPI document); on by default outside production"
    )
    trusted_proxies: str = _env_field(
        "", "comma-separated addresses of the reverse proxies whose X-Forwarded-For names the client; empty: none"
    )
    audit_retention_days: int = _env_field(
        200, "days the audit trail is kept before a chore purges it (at least 183: six months)"
    )
    outbox_retention_days: int = _env_field(
        14, "days a delivered signal stays in the outbox (for looking into a delivery) before it is purged"
    )
    content_fallbacks: str = _env_field(
        "",
        "where organiser-written content falls back to per reader's language, over the defaults "
        "(zh-Hans=zh-Hans,zh-Hant>zh-Hans,en; zh-Hant=zh-Hant,zh-Hans>zh-Hant,en; en=en,zh-Hans; "
        "ja=ja,en,zh-Hans; ko=ko,en,zh-Hans); a>b is a converted into b's script",
    )
    log_level: str = _env_field("INFO", "DEBUG, INFO, WARNING or ERROR")
    log_json: bool = _env_field(True, "structured JSON logs (false: readable console lines)")

    @property
    def milestone_hours(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.volunteer_milestone_hours.split(",") if part.strip())

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def dev_login_enabled(self) -> bool:
        return (not self.is_production) if self.dev_login is None else self.dev_login

    @property
    def api_docs_enabled(self) -> bool:
        return (not self.is_production) if self.api_docs is None else self.api_docs

    @property
    def sealing_keys(self) -> DataKeys:
        """The data keys that seal personal data (``backend.core.crypto``)."""
        return _data_keys(self.data_keys, self.secret_key)

    @property
    def uses_development_secret(self) -> bool:
        return self.secret_key == DEFAULT_SECRET_KEY

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def wechat_configured(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from ``LINLI_<FIELD>``; ``overrides`` win (tests use them)."""
        environ = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"LINLI_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f.name, hints[f.name], raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise SettingsError(f"LINLI_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if not self.uses_postgres and not self.database_url.startswith("sqlite:///"):
            raise SettingsError("LINLI_DATABASE_URL must start with sqlite:/// or postgresql://")
        if self.max_image_bytes > self.max_request_bytes:
            raise SettingsError("LINLI_MAX_IMAGE_BYTES cannot exceed LINLI_MAX_REQUEST_BYTES")
        if self.database_replica_url and not (
            self.uses_postgres and self.database_replica_url.startswith(("postgres://", "postgresql://"))
        ):
            raise SettingsError("LINLI_DATABASE_REPLICA_URL is a PostgreSQL replica of a PostgreSQL LINLI_DATABASE_URL")
        try:
            self.sealing_keys  # noqa: B018  (parsed here, so a malformed value stops start-up)
        except ValueError as error:
            raise SettingsError(f"LINLI_DATA_KEYS: {error}") from None
        try:
            from backend.core.i18n import parse_fallbacks

            parse_fallbacks(self.content_fallbacks)
        except ValueError as error:
            raise SettingsError(f"LINLI_CONTENT_FALLBACKS: {error}") from None
        if self.audit_retention_days < 183:
            raise SettingsError("LINLI_AUDIT_RETENTION_DAYS must be at least 183: the audit trail is kept six months")
        if self.outbox_retention_days < 1:
            raise SettingsError("LINLI_OUTBOX_RETENTION_DAYS must be at least 1")
        if self.worker_concurrency < 1:
            raise SettingsError("LINLI_WORKER_CONCURRENCY must be at least 1")
        if self.wechat_event_page.startswith("/") or "?" in self.wechat_event_page:
            raise SettingsError("LINLI_WECHAT_EVENT_PAGE is a page path without a leading slash or a query")
        if self.map_tiles and not (
            self.map_tiles.startswith(("https://", "http://"))
            and all(part in self.map_tiles for part in ("{z}", "{x}", "{y}"))
        ):
            raise SettingsError("LINLI_MAP_TILES is an http(s) URL template with {z}, {x} and {y}, or empty")
        try:
            milestones = self.milestone_hours
        except ValueError:
            milestones = ()
        if not milestones or list(milestones) != sorted(set(milestones)) or milestones[0] <= 0:
            raise SettingsError(
                "LINLI_VOLUNTEER_MILESTONE_HOURS must be positive whole hours, ascending, e.g. 100,300,600"
            )
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise SettingsError("refusing to start in production: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        problems = []
        if self.secret_key == DEFAULT_SECRET_KEY:
            problems.append("LINLI_SECRET_KEY is the development default")
        elif len(self.secret_key) < 32:
            problems.append("LINLI_SECRET_KEY is shorter than 32 characters")
        if self.dev_login_enabled:
            problems.append("LINLI_DEV_LOGIN is on (development only)")
        if not self.data_keys.strip():
            problems.append("LINLI_DATA_KEYS is required: personal data is not sealed with the signing key")
        if not self.wechat_configured:
            problems.append("LINLI_WECHAT_APPID and LINLI_WECHAT_SECRET are required")
        return problems

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(variable, default, help) of every setting, for the README and `linli settings`."""
        rows = []
        for f in dataclasses.fields(cls):
            default = "" if f.default is None else str(f.default)
            rows.append((f"LINLI_{f.name.upper()}", default, f.metadata["help"]))
        return rows


@lru_cache(maxsize=8)
def _data_keys(configured: str, secret_key: str) -> DataKeys:
    from backend.core.crypto import DataKeys

    return DataKeys.parse(configured, secret_key=secret_key)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(name: str, hint: Any, raw: str) -> Any:
    variable = f"LINLI_{name.upper()}"
    text = raw.strip()
    try:
        if hint in (bool, bool | None):
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(text)
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if hint is Path:
            return Path(text)
    except ValueError:
        raise SettingsError(f"{variable}={raw!r} is not a valid value") from None
    return raw
