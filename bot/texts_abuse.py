"""Words and buttons of muting (禁言) and the open-case cap."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.buttons import Buttons
from bot.keyboards import BUTTON_TEXT, MAX_ROW_ID, RowId
from bot.notices import notice
from bot.texts import esc, person_label, short, when
from models import Case, Person, PersonEvent
from models.enums import PersonEventKind
from services.moderation import MUTE_REASONS, MutedEntry, Target, may_moderate


class ModCb(CallbackData, prefix="mod"):
    """A supervisor's step on a person: `action`, the person, the case they were reached through (0: none)."""

    action: str
    person_id: RowId
    case_id: Annotated[int, Field(ge=0, le=MAX_ROW_ID)] = 0
    arg: str = ""


def reason_name(code: str) -> str:
    """The words of a reason picked from a button (a typed reason is shown as typed)."""
    return {"flood": _("Flooding the bot with messages"), "abuse": _("Insulting or threatening people"),
            "false": _("Repeated false reports")}.get(code, code)


def muted_notice(contact: Person | None) -> str:
    """Tell a muted villager their messages are paused, and whom to call instead."""
    text = _("Your messages to this service are paused for now and are not passed on.")
    if contact is None:
        return text + "\n" + _("If something is urgent, please call your village committee or township.")
    who = person_label(contact)
    if contact.phone:
        who += f" · {esc(contact.phone)}"
    return text + "\n" + _("If something is urgent, please call {who}.").format(who=who)


@notice("unmuted")
async def unmuted(renderer, session, chat, person, case, payload):
    """Tell a villager their messages are taken again."""
    return [SendMessage(chat_id=chat, text=_("Your messages are taken again. You can report and reply as before."))]


def target_label(target: Target) -> str:
    """The person as the supervisor may know them: an anonymous reporter stays unnamed."""
    if target.anonymous:
        return _("the anonymous reporter of case {number}").format(number=target.case_number)
    return esc(target.person.name)


def entry_text(target: Target, open_cases: int, cap: int | None, history: Sequence[PersonEvent],
               tz: ZoneInfo) -> str:
    """The person's entry for a supervisor: muted or not, open cases against the cap, their events."""
    person = target.person
    lines = [_("<b>👤 {who}</b>").format(who=target_label(target))]
    if person.muted_at is not None:
        lines.append(_("🔇 Muted since {when}: {reason}").format(when=when(person.muted_at, tz),
                                                                reason=esc(person.mute_reason or "")))
    else:
        lines.append(_("Messages are taken as usual."))
    limit = "—" if cap is None else str(cap + (person.extra_cases or 0))
    lines.append(_("Open cases: {count} (at most {limit} at once)").format(count=open_cases, limit=limit))
    if history:
        lines.append("")
        lines.append(_("<b>History</b>"))
        for event in history:
            lines.append(event_line(event, tz))
    return "\n".join(lines)


def event_line(event: PersonEvent, tz: ZoneInfo) -> str:
    """One person event: when, what, who, why."""
    what = {PersonEventKind.muted: _("🔇 muted"), PersonEventKind.unmuted: _("🔊 unmuted"),
            PersonEventKind.extra_case: _("➕ one more open case allowed")}.get(event.kind, event.kind)
    line = f"{when(event.at, tz)} {what}"
    if event.actor is not None:
        line += f" · {esc(event.actor.name)}"
    if event.note:
        line += f" — {esc(short(event.note, 80))}"
    return line


def entry_buttons(target: Target, case_id: int = 0) -> InlineKeyboardMarkup:
    """🔇 mute or 🔊 unmute, and ➕ allow one more case, on a person's entry."""
    kb = Buttons()
    person_id = target.person.id
    if target.person.muted_at is None:
        kb.button(text=_("🔇 Mute"), callback_data=ModCb(action="mute", person_id=person_id, case_id=case_id))
    else:
        kb.button(text=_("🔊 Unmute"), callback_data=ModCb(action="unmute", person_id=person_id, case_id=case_id))
    kb.button(text=_("➕ Allow one more case"), callback_data=ModCb(action="allow", person_id=person_id,
                                                                    case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def reason_buttons(person_id: int, case_id: int = 0) -> InlineKeyboardMarkup:
    """The reasons to mute, and a typed one."""
    kb = Buttons()
    for code in MUTE_REASONS:
        kb.button(text=short(reason_name(code), BUTTON_TEXT),
                  callback_data=ModCb(action="why", person_id=person_id, case_id=case_id, arg=code))
    kb.button(text=_("✍️ Another reason (type it)"),
              callback_data=ModCb(action="why", person_id=person_id, case_id=case_id, arg="other"))
    kb.button(text=_("✖ Cancel"), callback_data=ModCb(action="stop", person_id=person_id, case_id=case_id))
    kb.adjust(1)
    return kb.as_markup()


def muted_list(entries: Sequence[MutedEntry], tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    """The muted villagers of a supervisor's area, each with 🔊 unmute."""
    if not entries:
        return _("Nobody is muted in your area."), None
    lines = [_("<b>🔇 Muted</b> ({count})").format(count=len(entries))]
    kb = Buttons()
    for entry in entries:
        who = (_("the anonymous reporter of case {number}").format(number=entry.case_number)
               if entry.anonymous else esc(entry.person.name))
        lines.append("")
        lines.append(f"<b>{who}</b> · {when(entry.since, tz)}" + (f" · {esc(entry.by)}" if entry.by else ""))
        lines.append(esc(short(entry.reason, 80)))
        label = entry.case_number if entry.anonymous else entry.person.name
        kb.button(text=short(_("🔊 Unmute {who}").format(who=label), BUTTON_TEXT),
                  callback_data=ModCb(action="unmute", person_id=entry.person.id))
    kb.adjust(1)
    return "\n".join(lines), kb.as_markup()


def cap_text(count: int) -> str:
    """Tell a villager at the cap that they cannot file another case now."""
    text = _("You already have {count} cases being handled, the most one person may have at once. Please wait "
             "until one of them is settled, or add to one of them (open it below, then reply to it). If it is "
             "urgent, ask your village cadre: a supervisor can allow one more.").format(count=count)
    return text


def with_reporter_button(markup: InlineKeyboardMarkup | None, case: Case,
                         viewer: Person) -> InlineKeyboardMarkup | None:
    """Add a supervisor's 👤 button to a case card: the reporter's entry (mute, allow one more case)."""
    if not may_moderate(viewer, case.reporter):
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    kb = Buttons()
    kb.button(text=_("👤 Reporter: mute / allow"), callback_data=ModCb(action="who", person_id=case.reporter_id,
                                                                      case_id=case.id))
    return InlineKeyboardMarkup(inline_keyboard=rows + kb.as_markup().inline_keyboard)


def usage(command: str) -> str:
    """How to write the command."""
    return {
        "mute": _("Usage: /mute &lt;case number, @username or Telegram id&gt; &lt;reason&gt;"),
        "unmute": _("Usage: /unmute &lt;case number, @username or Telegram id&gt; [reason]"),
        "allow": _("Usage: /allow &lt;case number, @username or Telegram id&gt; &lt;note&gt;"),
        "person": _("Usage: /person &lt;case number, @username or Telegram id&gt;"),
    }[command]

