"""Litestar's Jinja2 templating for the pages: the templates under ``templates/``, the request's
language for every string (gettext through ``backend.core.i18n``), Babel's formats in Suzhou
time, organiser-written content picked in the reader's language. Autoescaped; an undefined
name is an error, not an empty string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from litestar.config.app import AppConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from backend.core.i18n import (
    LOCALES,
    NATIVE_NAMES,
    _,
    format_datetime,
    format_day,
    format_interval,
    get_locale,
    ngettext,
    pick,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"


def picked(content: Any) -> str:
    """Organiser-written ``{locale: text}`` in the reader's language (the fallback chain's pick)."""
    return pick(content)[0] if content else ""


def _environment(engine: JinjaTemplateEngine) -> None:
    environment = engine.engine
    environment.undefined = StrictUndefined
    environment.globals.update(
        _=_, ngettext=ngettext, current_locale=get_locale, locales=LOCALES, native_names=NATIVE_NAMES
    )
    environment.filters.update(when=format_datetime, span=format_interval, day=format_day, picked=picked)


def configure_templates(app_config: AppConfig) -> AppConfig:
    """The web domain's part of the app: its templates (an ``on_app_init`` hook)."""
    app_config.template_config = TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_environment
    )
    return app_config
