"""A supervisor's moderation: /mute, /unmute, /muted, /allow, /person, and the 👤 buttons that do the same."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import Magic
from bot.screens import expect_text, set_buttons, where
from bot.texts_abuse import (
    ModCb, cap_text, entry_buttons, entry_text, muted_list, reason_buttons, reason_name, target_label, usage,
)
from models import Person
from models import queries as q
from services import case_cap, moderation
from services.config import ServiceConfig
from services.moderation import Target

router = Router(name="moderation")


class Moderating(StatesGroup):
    reason = State()  # the typed reason to mute
    note = State()  # the note that allows one more case


async def _named(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                 name: str) -> tuple[Target, str] | None:
    """Return whom a supervisor's command names and the words after; without a name, show how to use it."""
    moderation.require_moderator(person)
    who, _sep, rest = (command.args or "").strip().partition(" ")
    if not who:
        await message.answer(usage(name))
        return None
    return await moderation.find_target(session, person, who), rest.strip()


async def show_entry(message: MaybeInaccessibleMessage, session: AsyncSession, target: Target,
                     config: ServiceConfig, case_id: int = 0) -> None:
    """Show a supervisor the person's entry with its buttons."""
    count = await case_cap.open_count(session, target.person)
    history = await moderation.history(session, target.person)
    await message.answer(entry_text(target, count, config.max_open_cases, history, config.tz),
                         reply_markup=entry_buttons(target, case_id))


@router.message(Command("person"))
async def person_entry(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                       config: ServiceConfig):
    """Show a supervisor a villager's entry: muted or not, open cases, history, and the buttons."""
    if named := await _named(message, command, session, person, "person"):
        await show_entry(message, session, named[0], config)


@router.message(Command("mute"))
async def mute_command(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                       config: ServiceConfig, now):
    """Mute a villager with a reason; without one, offer the reasons as buttons."""
    if not (named := await _named(message, command, session, person, "mute")):
        return
    target, reason = named
    if not reason:
        moderation.require_may_moderate(person, target.person)
        await message.answer(_("Why mute {who}?").format(who=target_label(target)),
                             reply_markup=reason_buttons(target.person.id))
        return
    await moderation.mute(session, actor=person, target=target, reason=reason, now=now)
    await message.answer(_muted_text(target))


@router.message(Command("unmute"))
async def unmute_command(message: Message, command: CommandObject, session: AsyncSession, person: Person, now):
    """Take a villager's messages again."""
    if not (named := await _named(message, command, session, person, "unmute")):
        return
    target, reason = named
    await moderation.unmute(session, actor=person, target=target, reason=reason, now=now)
    await message.answer(_("🔊 {who} is unmuted; their messages are taken again.").format(who=target_label(target)))


@router.message(Command("muted"))
async def list_muted(message: Message, session: AsyncSession, person: Person, config: ServiceConfig):
    """List the muted villagers of the supervisor's area."""
    text, markup = muted_list(await moderation.muted_people(session, person), config.tz)
    await message.answer(text, reply_markup=markup)


@router.message(Command("allow"))
async def allow_command(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                        state: FSMContext, now):
    """Allow a villager one more open case, with a note; without one, ask for it."""
    if not (named := await _named(message, command, session, person, "allow")):
        return
    target, note = named
    if not note:
        await _ask_note(message, state, target, 0)
        return
    await case_cap.allow_extra_case(session, actor=person, target=target, note=note, now=now)
    await message.answer(_allowed_text(target))


@router.callback_query(ModCb.filter(F.action == "who"))
async def reporter_entry(query: CallbackQuery, callback_data: ModCb, session: AsyncSession, person: Person,
                         config: ServiceConfig):
    """Show the entry of a case's reporter (from the 👤 button on a supervisor's card)."""
    target = await moderation.target_by_id(session, person, callback_data.person_id, callback_data.case_id)
    await query.answer()
    await show_entry(where(query), session, target, config, callback_data.case_id)


@router.callback_query(ModCb.filter(F.action == "mute"))
async def choose_reason(query: CallbackQuery, callback_data: ModCb, session: AsyncSession, person: Person):
    """Offer the reasons to mute."""
    target = await moderation.target_by_id(session, person, callback_data.person_id, callback_data.case_id)
    await query.answer()
    await where(query).answer(_("Why mute {who}?").format(who=target_label(target)),
                              reply_markup=reason_buttons(target.person.id, callback_data.case_id))


@router.callback_query(ModCb.filter(F.action == "why"))
async def pick_reason(query: CallbackQuery, callback_data: ModCb, session: AsyncSession, person: Person,
                      state: FSMContext, now):
    """Mute with the reason picked, or ask for it in words."""
    target = await moderation.target_by_id(session, person, callback_data.person_id, callback_data.case_id)
    if callback_data.arg not in moderation.MUTE_REASONS:
        moderation.require_may_moderate(person, target.person)
        await state.set_state(Moderating.reason)
        await state.set_data({"person_id": target.person.id, "case_id": callback_data.case_id})
        await query.answer()
        await where(query).answer(_("Write the reason to mute {who}; it is kept in the log.").format(
            who=target_label(target)))
        return
    await moderation.mute(session, actor=person, target=target, reason=reason_name(callback_data.arg), now=now)
    await query.answer(_("Muted."))
    await set_buttons(query)
    await where(query).answer(_muted_text(target))


@router.callback_query(ModCb.filter(F.action == "unmute"))
async def unmute_button(query: CallbackQuery, callback_data: ModCb, session: AsyncSession, person: Person, now):
    """Unmute from a list or an entry."""
    target = await moderation.target_by_id(session, person, callback_data.person_id, callback_data.case_id)
    await moderation.unmute(session, actor=person, target=target, reason=None, now=now)
    await query.answer(_("Unmuted."))
    await set_buttons(query)
    await where(query).answer(_("🔊 {who} is unmuted; their messages are taken again.").format(
        who=target_label(target)))


@router.callback_query(ModCb.filter(F.action == "allow"))
async def allow_button(query: CallbackQuery, callback_data: ModCb, session: AsyncSession, person: Person,
                       state: FSMContext):
    """Ask for the note that allows one more case."""
    target = await moderation.target_by_id(session, person, callback_data.person_id, callback_data.case_id)
    await query.answer()
    await _ask_note(where(query), state, target, callback_data.case_id)


@router.callback_query(ModCb.filter(F.action == "stop"))
async def stop(query: CallbackQuery, state: FSMContext):
    """Drop the step."""
    await state.clear()
    await query.answer(_("Cancelled."))
    await set_buttons(query)


@router.message(StateFilter(Moderating.reason), Magic(F.text & ~F.text.startswith("/")))
async def typed_reason(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Mute with the typed reason."""
    data = await state.get_data()
    target = await moderation.target_by_id(session, person, data["person_id"], data.get("case_id") or None)
    await state.clear()
    await moderation.mute(session, actor=person, target=target, reason=message.text, now=now)
    await message.answer(_muted_text(target))


@router.message(StateFilter(Moderating.note), Magic(F.text & ~F.text.startswith("/")))
async def typed_note(message: Message, session: AsyncSession, person: Person, state: FSMContext, now):
    """Allow one more case with the typed note."""
    data = await state.get_data()
    target = await moderation.target_by_id(session, person, data["person_id"], data.get("case_id") or None)
    await state.clear()
    await case_cap.allow_extra_case(session, actor=person, target=target, note=message.text, now=now)
    await message.answer(_allowed_text(target))


@router.message(StateFilter(Moderating.reason, Moderating.note))
async def expecting_words(message: Message):
    """Ask for the reason or the note as text."""
    await expect_text(message)


async def _ask_note(message: MaybeInaccessibleMessage, state: FSMContext, target: Target, case_id: int) -> None:
    await state.set_state(Moderating.note)
    await state.set_data({"person_id": target.person.id, "case_id": case_id})
    await message.answer(_("Why may {who} have one more open case? Write a short note; it is kept in the log.")
                         .format(who=target_label(target)))


def _muted_text(target: Target) -> str:
    return _("🔇 {who} is muted. Their messages are not taken; they are told once whom to call. /muted lists "
             "everyone muted; /unmute lifts it.").format(who=target_label(target))


def _allowed_text(target: Target) -> str:
    return _("➕ {who} may file one more case beyond the limit.").format(who=target_label(target))


async def refuse_at_cap(message: MaybeInaccessibleMessage, session: AsyncSession, person: Person,
                        config: ServiceConfig, draft: str | None = None) -> bool:
    """Tell a villager at MAX_OPEN_CASES that they cannot file another case now, with their cases; say if so.

    A `draft` already filed (the same ✅ pressed again) is not refused: filing it again returns its case.
    """
    count = await case_cap.open_count(session, person) if config.max_open_cases else 0
    if not case_cap.over_cap(count, config.max_open_cases, person.extra_cases or 0):
        return False
    if draft is not None and await q.case_filed_from(session, draft) is not None:
        return False
    cases = list(await case_cap.open_cases(session, person))
    await message.answer(cap_text(count), reply_markup=keyboards.case_list(cases))
    return True
