"""Gettext catalogs for aiogram: the .po files in locales/ are the source, compiled on start into build/."""
from __future__ import annotations

from aiogram.utils.i18n import I18n

from services.wording import COMPILED, DEFAULT_LOCALE, DOMAIN, LOCALES, compile_catalogs

__all__ = ["COMPILED", "DEFAULT_LOCALE", "DOMAIN", "LOCALES", "compile_catalogs", "make_i18n"]


def make_i18n() -> I18n:
    """Return aiogram's I18n over the project's catalogs, Chinese by default."""
    return I18n(path=compile_catalogs(), default_locale=DEFAULT_LOCALE, domain=DOMAIN)
