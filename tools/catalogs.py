"""Extract the messages from the code and merge them into locales/*/messages.po.

Usage: .venv/bin/python tools/catalogs.py [--check]
English keeps msgstr = msgid; Chinese keeps its translations and lists what is missing.
With --check it changes nothing and exits 1 when a message has no Chinese translation.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"


def extract() -> Catalog:
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_", "-k", "__", "--no-location", "--omit-header", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True)
    with pot.open("rb") as f:
        return read_po(f)


def merge(template: Catalog, locale: str, write: bool) -> list[str]:
    path = LOCALES / locale / "LC_MESSAGES" / "messages.po"
    old = read_po(path.open("rb"), locale=locale) if path.exists() else Catalog(locale=locale)
    new = Catalog(locale=locale, project="massline-bot", charset="utf-8", fuzzy=False)
    missing = []
    for message in template:
        if not message.id:
            continue
        previous = old.get(message.id)
        text = previous.string if previous and previous.string else ""
        if locale == "en":
            text = message.id
        if not text:
            missing.append(message.id)
        new.add(message.id, text)
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, new, omit_header=False, sort_output=True, width=0)
    return missing


def main() -> int:
    check = "--check" in sys.argv
    template = extract()
    missing = merge(template, "zh_CN", write=not check)
    merge(template, "en", write=not check)
    for msgid in missing:
        print(f"zh_CN missing: {msgid!r}")
    return 1 if (check and missing) else 0


if __name__ == "__main__":
    raise SystemExit(main())
