"""Server-rendered pages: one Jinja2 environment per language over the gettext catalogs of the bot."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.wording import DEFAULT_LOCALE, LANGUAGES, Words, translations

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=None)
def environment(locale: str) -> Environment:
    """Return the template environment speaking one language (`_` is the catalog's gettext)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(locale), newstyle=True)
    return env


def request_locale(request: Request) -> str:
    """Return the language of a visitor nobody knows yet: English for English browsers, else Chinese."""
    accept = request.headers.get("accept-language", "").strip().lower()
    return "en" if accept.startswith("en") else DEFAULT_LOCALE


def render(request: Request, template: str, *, locale: str | None = None, status: int = 200, **context
           ) -> HTMLResponse:
    """Render a page in the reader's language (or the browser's, before login)."""
    web = request.app.state.web
    reader = context.get("reader")
    locale = locale or (reader.language if reader is not None else request_locale(request))
    locale = locale if locale in LANGUAGES else DEFAULT_LOCALE
    words = Words(locale, web.config.tz)
    html = environment(locale).get_template(template).render(request=request, w=words, locale=locale, **context)
    return HTMLResponse(html, status_code=status)
