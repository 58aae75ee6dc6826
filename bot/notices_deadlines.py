"""Notices of the deadline sweep: reminders, supervision, follow-up, extensions."""
from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.methods import SendMessage
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.notices import notice
from bot.texts import esc, person_label, short, when
from services.digest import day_counts, overdue_cases


def duration_words(delta: timedelta) -> str:
    """Say a duration in days and hours, or minutes when short."""
    seconds = max(int(delta.total_seconds()), 0)
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{minutes} min").format(minutes=max(minutes, 1))


@notice("reminder")
async def reminder(renderer, session, chat, person, case, payload):
    """Remind the owner of a deadline: what is due, how long is left or how late it is."""
    now = renderer.clock()
    kind = payload.get("kind")
    if kind == "first_contact":
        head = _("⏰ First contact is due: the villager has had no answer yet ({late} late).").format(
            late=duration_words(now - case.first_response_due))
    elif kind == "overdue":
        head = _("🚨 Case overdue and listed for supervision (挂牌督办). It escalates in {left} unless settled.").format(
            left=duration_words(case.escalate_at - now)) if case.escalate_at else _(
            "🚨 Case overdue and listed for supervision (挂牌督办).")
    else:
        head = _("⏰ {share} of the time is used; {left} left until the deadline.").format(
            share="50%" if kind == "half" else "80%", left=duration_words(case.due_at - now))
    text = "\n".join([
        head,
        _("<b>Case {number}</b> · {village}").format(number=case.number, village=esc(case.village.name)),
        _("Deadline: {due}").format(due=when(case.due_at, renderer.tz)),
        esc(short(case.summary, 200)),
    ])
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards.open_card(case.id))]


@notice("supervised_notice")
async def supervised_notice(renderer, session, chat, person, case, payload):
    """Tell a supervisor that a case of their area is overdue."""
    text = _("🚨 <b>Case {number}</b> ({village}) is overdue and listed for supervision.\nOwner: {owner}\n"
             "Deadline was: {due}").format(number=case.number, village=esc(case.village.name),
                                           owner=person_label(case.owner), due=when(case.due_at, renderer.tz))
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards.open_card(case.id))]


@notice("followup_reminder")
async def followup_reminder(renderer, session, chat, person, case, payload):
    """Ask the villager once more whether the answered case is really solved."""
    text = _("Reminder: <b>case {number}</b> was answered.\n\n{note}\n\nIs your problem really solved? Without an "
             "answer by {due} the case is closed.").format(number=case.number,
                                                           note=esc(short(case.resolution_note, 2000)),
                                                           due=when(case.followup_due, renderer.tz))
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards.ratings(case.id))]


@notice("extension_notice")
async def extension_notice(renderer, session, chat, person, case, payload):
    """Tell a supervisor that a deadline was extended, and why."""
    text = _("⏳ <b>Case {number}</b> ({village}): {owner} extended the deadline to {due}.\nReason: {reason}").format(
        number=case.number, village=esc(case.village.name), owner=person_label(case.owner),
        due=when(case.due_at, renderer.tz), reason=esc(short(payload.get("note"), 500)))
    return [SendMessage(chat_id=chat, text=text)]


@notice("digest")
async def daily_digest(renderer, session, chat, person, case, payload):
    """Give a supervisor the day's counts and the overdue list of their area."""
    at = datetime.fromisoformat(payload["at"])
    counts = await day_counts(session, person, at)
    rows = await overdue_cases(session, person, at)
    lines = [_("<b>Daily digest</b> · {day}").format(day=when(at, renderer.tz)),
             _("New: {new} · settled: {settled} · overdue now: {overdue}").format(
                 new=counts.new, settled=counts.settled, overdue=counts.overdue)]
    lines += [_("{number} · {village} · {days} days late · {owner}").format(
        number=r.case.number, village=esc(r.case.village.name), days=r.days_late, owner=person_label(r.case.owner))
        for r in rows[:20]]
    if len(rows) > 20:
        lines.append(_("… and {more} more: /overdue").format(more=len(rows) - 20))
    return [SendMessage(chat_id=chat, text="\n".join(lines))]
