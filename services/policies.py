"""Policy explainers: Markdown files with front matter, loaded into the database."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import PolicyArticle
from services.errors import DirectoryError, InvalidInput

REQUIRED = ("topic", "title")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@dataclass(frozen=True)
class Explainer:
    slug: str
    topic: str
    title: str
    summary: str
    tags: list[str]
    body: str
    sample: bool


def parse_explainer(slug: str, text: str) -> Explainer:
    """Parse `---` front matter (topic, title, summary, tags, sample) and the Markdown body."""
    if not SLUG.match(slug):
        raise InvalidInput(f"{slug}: file names must be lowercase letters, digits, - or _")
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n(.*)$", text, re.S)
    if not match:
        raise InvalidInput(f"{slug}: missing front matter between --- lines")
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition(":")
            if not sep:
                raise InvalidInput(f"{slug}: front matter line without a colon: {line!r}")
            meta[key.strip().lower()] = value.strip().strip('"')
    missing = [k for k in REQUIRED if not meta.get(k)]
    body = match.group(2).strip()
    if missing or not body:
        raise InvalidInput(f"{slug}: missing {', '.join(missing) or 'body'}")
    tags = [t.strip() for t in meta.get("tags", "").strip("[]").replace("，", ",").split(",") if t.strip()]
    return Explainer(slug, meta["topic"], meta["title"], meta.get("summary", ""), tags, body,
                     meta.get("sample", "").lower() in {"true", "yes", "1"})


async def import_policies(session: AsyncSession, folder: Path, now: datetime) -> int:
    """Load or update every `*.md` in the folder; a bad file stops the whole import."""
    problems, explainers = [], []
    for path in sorted(folder.glob("*.md")):
        try:
            explainers.append(parse_explainer(path.stem, path.read_text(encoding="utf-8")))
        except (InvalidInput, UnicodeDecodeError) as exc:
            problems.append(str(exc))
    if problems:
        raise DirectoryError(problems)
    for e in explainers:
        row = await session.get(PolicyArticle, e.slug) or PolicyArticle(slug=e.slug)
        row.topic, row.title, row.summary, row.tags, row.body, row.sample = (
            e.topic, e.title, e.summary, e.tags, e.body, e.sample)
        row.updated_at = now
        session.add(row)
    await session.commit()
    return len(explainers)


async def topics(session: AsyncSession) -> list[str]:
    """Return the topics that have explainers."""
    return list((await session.scalars(select(PolicyArticle.topic).distinct().order_by(PolicyArticle.topic))).all())


async def explainers_of(session: AsyncSession, topic: str) -> Sequence[PolicyArticle]:
    """Return the explainers of a topic."""
    return (await session.scalars(
        select(PolicyArticle).where(PolicyArticle.topic == topic).order_by(PolicyArticle.title))).all()


async def explainer(session: AsyncSession, slug: str) -> PolicyArticle:
    """Return one explainer or raise InvalidInput."""
    row = await session.get(PolicyArticle, slug)
    if row is None:
        raise InvalidInput("policy")
    return row
