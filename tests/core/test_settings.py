"""Settings come from LINLI_* variables; production refuses what is only safe on a laptop."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import DEFAULT_SECRET_KEY, Settings, SettingsError

PRODUCTION_OK = {
    "LINLI_ENV": "production",
    "LINLI_SECRET_KEY": "a-production-secret-of-enough-length-0123",
    "LINLI_WECHAT_APPID": "wx0123456789abcdef",
    "LINLI_WECHAT_SECRET": "s3cret",
    "LINLI_DATABASE_URL": "postgresql://linli@db/linli",
    "LINLI_REDIS_URL": "redis://cache:6379/0",
    "LINLI_DATA_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}


def test_development_defaults_are_usable_at_once() -> None:
    settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url == ""
    assert settings.dev_login_enabled is True
    assert settings.secret_key == DEFAULT_SECRET_KEY


def test_every_variable_is_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "LINLI_DATABASE_URL": "postgresql://u:p@h:5433/d",
            "LINLI_REDIS_URL": "redis://r:6379/1",
            "LINLI_WECHAT_API_BASE": "http://127.0.0.1:9999",
            "LINLI_MEDIA_ROOT": "/srv/media",
            "LINLI_LOGIN_RATE_LIMIT": "3",
            "LINLI_HTTP_TIMEOUT_SECONDS": "2.5",
            "LINLI_DEV_LOGIN": "off",
        }
    )
    assert settings.uses_postgres
    assert settings.redis_url == "redis://r:6379/1"
    assert settings.wechat_api_base == "http://127.0.0.1:9999"
    assert settings.media_root == Path("/srv/media")
    assert settings.login_rate_limit == 3
    assert settings.http_timeout_seconds == 2.5
    assert settings.dev_login_enabled is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LINLI_LOGIN_RATE_LIMIT", "many"),
        ("LINLI_DEV_LOGIN", "perhaps"),
        ("LINLI_ENV", "staging"),
        ("LINLI_DATABASE_URL", "mysql://x"),
    ],
)
def test_malformed_values_are_refused_with_their_name(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match="LINLI_"):
        Settings.from_env({variable: value})


def test_production_starts_with_real_secrets() -> None:
    settings = Settings.from_env(PRODUCTION_OK)
    assert settings.is_production
    assert settings.dev_login_enabled is False


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"LINLI_SECRET_KEY": DEFAULT_SECRET_KEY}, "development default"),
        ({"LINLI_SECRET_KEY": "short"}, "shorter than 32"),
        ({"LINLI_DEV_LOGIN": "true"}, "LINLI_DEV_LOGIN"),
        ({"LINLI_DATA_KEYS": ""}, "LINLI_DATA_KEYS is required"),
        ({"LINLI_WECHAT_SECRET": ""}, "LINLI_WECHAT_SECRET"),
    ],
)
def test_production_refuses_development_settings(change: dict[str, str], complaint: str) -> None:
    environ = {**PRODUCTION_OK, **change}
    if environ["LINLI_SECRET_KEY"] == DEFAULT_SECRET_KEY:
        environ.pop("LINLI_SECRET_KEY")
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env(environ)


def test_describe_lists_every_setting_for_the_readme() -> None:
    names = [row[0] for row in Settings.describe()]
    for required in (
        "LINLI_DATABASE_URL",
        "LINLI_REDIS_URL",
        "LINLI_SECRET_KEY",
        "LINLI_WECHAT_APPID",
        "LINLI_WECHAT_SECRET",
        "LINLI_WECHAT_API_BASE",
        "LINLI_MEDIA_ROOT",
        "LINLI_ENV",
    ):
        assert required in names
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in names if name not in readme]
    assert not missing, f"README does not document {missing}"
