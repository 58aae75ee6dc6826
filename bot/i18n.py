"""Gettext catalogs: the .po files in locales/ are the source, compiled on start into build/."""
from __future__ import annotations

import os
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
COMPILED = LOCALES.parent / "build" / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"


def compile_catalogs(source: Path = LOCALES, target: Path = COMPILED) -> Path:
    """Compile each `<locale>/LC_MESSAGES/messages.po` to a .mo under `target` with Babel."""
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        mo = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)  # atomic, so parallel processes never read half a file
    return target


def make_i18n() -> I18n:
    """Return aiogram's I18n over the project's catalogs, Chinese by default."""
    return I18n(path=compile_catalogs(), default_locale=DEFAULT_LOCALE, domain=DOMAIN)
