"""Case cards, lists and timelines as short HTML texts."""
from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.texts import (
    category_name, disposition_name, esc, event_name, level_name, person_label, rating_name,
    reporter_label, short, status_name, when,
)
from models import Case, CaseEvent, CaseMessage
from models.enums import EventKind, MessageKind

CARD_TEXT = 1500


def card(case: Case, parts: Sequence[CaseMessage], language: str, tz: ZoneInfo, headline: str = "") -> str:
    """Render the owner's card: number, village, category, words, attachments, deadline, reporter."""
    words = "\n".join(p.text for p in parts if p.kind == MessageKind.text and p.text)
    files = sum(1 for p in parts if p.kind != MessageKind.text)
    lines = [headline] if headline else []
    lines += [
        _("<b>Case {number}</b> · {status}").format(number=case.number, status=status_name(case.status)),
        _("Village: {village} ({township})").format(village=esc(case.village.name),
                                                    township=esc(case.village.township.name)),
        _("Category: {category} · level: {level}").format(category=category_name(case, language),
                                                          level=level_name(case.level)),
        _("From: {reporter}").format(reporter=reporter_label(case)),
        _("Deadline: {due}").format(due=when(case.due_at, tz)),
    ]
    if case.first_response_at is None and case.first_response_due:
        lines.append(_("First contact due: {due}").format(due=when(case.first_response_due, tz)))
    if case.supervised:
        lines.append(_("⚠️ Listed for supervision (overdue)"))
    lines.append("")
    lines.append(esc(short(words, CARD_TEXT)) or _("(no text)"))
    if files:
        lines.append(_("📎 {count} attachment(s) follow.").format(count=files))
    lines.append("")
    lines.append(_("<i>Reply to this message to answer the villager.</i>"))
    return "\n".join(lines)


def villager_view(case: Case, events: Sequence[CaseEvent], language: str, tz: ZoneInfo) -> str:
    """Render a villager's own case with its timeline."""
    lines = [
        _("<b>Case {number}</b> · {status}").format(number=case.number, status=status_name(case.status)),
        _("Category: {category}").format(category=category_name(case, language)),
        _("Handled by: {owner}").format(owner=person_label(case.owner)),
        _("Deadline: {due}").format(due=when(case.due_at, tz)),
        "",
        esc(short(case.summary, 300)),
        "",
        _("<b>Timeline</b>"),
    ]
    lines += [_timeline_line(e, tz) for e in events if e.kind != EventKind.message][-15:]
    return "\n".join(lines)


def staff_timeline(case: Case, events: Sequence[CaseEvent], tz: ZoneInfo) -> str:
    """Render the full timeline for staff."""
    lines = [_("<b>Case {number}</b> · timeline").format(number=case.number)]
    lines += [_timeline_line(e, tz, actor=_actor(case, e)) for e in events][-30:]
    return "\n".join(lines)


def _actor(case: Case, event: CaseEvent) -> str | None:
    """Who did it, as staff may see it: an anonymous reporter stays anonymous in every line."""
    if event.actor is None or event.kind == EventKind.submitted:
        return None
    if event.actor_id == case.reporter_id:
        return reporter_label(case)
    return esc(event.actor.name)


def _timeline_line(event: CaseEvent, tz: ZoneInfo, actor: str | None = None) -> str:
    line = f"{when(event.at, tz)} {event_name(event.kind)}"
    if event.kind == EventKind.resolved:
        line += f"：{disposition_name(event.data.get('disposition'))}"
    if event.kind == EventKind.rated:
        line += f"：{rating_name(event.data.get('rating'))}"
    if actor:
        line += f" · {actor}"
    if event.note and event.kind != EventKind.resolved:
        line += f" — {esc(short(event.note, 80))}"
    return line


def case_line(case: Case, tz: ZoneInfo) -> str:
    """One line of a list: number, status, deadline, first words."""
    return f"<b>{case.number}</b> · {status_name(case.status)} · {when(case.due_at, tz)}\n{esc(short(case.summary, 60))}"
