"""The cadre's diary (民情日记): log a household visit in a few taps, and report for the household."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_campaign as kbc
from bot.filters import MenuButton
from bot.keyboards_campaign import DiaryCb
from bot.parts import part_of
from bot.screens import edit, where
from bot.texts import esc, person_label, when
from bot.texts_campaign import household_kind_name, visit_name
from handlers.intake import category_options
from models import Category, Person
from models import queries as q
from models.enums import HOUSEHOLD_CHANNEL, MessageKind, Role, VisitKind
from services import diary, households
from services.config import ServiceConfig
from services.suggest import CategorySuggester

router = Router(name="diary")
MAX_PARTS = 20


class Visiting(StatesGroup):
    household_name = State()
    village = State()
    kind = State()
    notes = State()


async def _refuse_villager(event: Message | CallbackQuery, person: Person) -> bool:
    if person.role == Role.villager:
        text = _("The diary is for cadres. Your own cases: /mycases")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        else:
            await event.answer(text)
        return True
    return False


@router.message(Command("diary"))
@router.message(MenuButton(__("📓 Diary")))
async def show_diary(message: Message, session: AsyncSession, person: Person, state: FSMContext,
                     config: ServiceConfig):
    """List the cadre's latest visits, with a button to log one."""
    if await _refuse_villager(message, person):
        return
    await state.clear()
    entries = list(await diary.visits_of(session, person))
    lines = [_("<b>📓 My diary</b> (民情日记)")]
    if not entries:
        lines.append(_("No visits logged yet."))
    for entry in entries:
        line = _("{when} · {household} · {kind}").format(
            when=when(entry.visited_at, config.tz), household=esc(diary.household_label(entry)),
            kind=visit_name(entry.kind))
        if entry.case_id:
            line += " · 📝"
        lines.append(line)
    await message.answer("\n".join(lines), reply_markup=kbc.diary_menu())


@router.callback_query(DiaryCb.filter(F.action == "new"))
async def choose_household(query: CallbackQuery, session: AsyncSession, person: Person, state: FSMContext):
    """Offer the households to visit: the cadre's paired ones first."""
    if await _refuse_villager(query, person):
        return
    await state.clear()
    found = list(await households.households_for(session, person))
    options = [(h, f"{'⭐' if h.paired_cadre_id == person.id else ''}{h.head} · {h.village.name}") for h in found]
    await query.answer()
    await where(query).answer(_("Which household did you visit? ⭐ are paired with you."),
                               reply_markup=kbc.households(options))


@router.callback_query(DiaryCb.filter(F.action == "hh"))
async def household_chosen(query: CallbackQuery, callback_data: DiaryCb, session: AsyncSession, person: Person,
                           state: FSMContext):
    """Remember the household and ask which of the four visits it was."""
    household = await households.household_for(session, callback_data.id, person)
    await state.set_state(Visiting.kind)
    await state.set_data({"household_id": household.id, "label": household.head})
    kinds = "、".join(household_kind_name(k) for k in households.visible_kinds(household, person))
    text = _("<b>{head}</b> · {village}").format(head=esc(household.head), village=esc(household.village.name))
    if kinds:
        text += "\n" + _("Kinds: {kinds}").format(kinds=kinds)
    await query.answer()
    await where(query).answer(text + "\n\n" + _("Which visit was it?"), reply_markup=kbc.visit_kinds())


@router.callback_query(DiaryCb.filter(F.action == "other"))
async def ask_household_name(query: CallbackQuery, person: Person, state: FSMContext):
    """Ask for the name of a household not in the list."""
    if await _refuse_villager(query, person):
        return
    await state.set_state(Visiting.household_name)
    await state.set_data({})
    await query.answer()
    await edit(query, _("Write the name of the head of the household."))


@router.message(StateFilter(Visiting.household_name))
async def household_named(message: Message, session: AsyncSession, person: Person, state: FSMContext):
    """Keep the name; ask for the village when the cadre works in more than one."""
    name = (message.text or "").strip()
    if not name or name.startswith("/") or len(name) > 100:
        await message.answer(_("Please write the name as text, or /cancel."))
        return
    villages = list(await households.villages_of_staff(session, person))
    await state.update_data(household_name=name, label=name)
    if len(villages) == 1:
        await ask_kind(message, state, villages[0].id)
        return
    await state.set_state(Visiting.village)
    await message.answer(_("Which village?"), reply_markup=kbc.villages([(v.id, v.name) for v in villages]))


@router.callback_query(StateFilter(Visiting.village), DiaryCb.filter(F.action == "vil"))
async def village_chosen(query: CallbackQuery, callback_data: DiaryCb, state: FSMContext):
    """Remember the village of the household."""
    await query.answer()
    await ask_kind(where(query), state, callback_data.id)


async def ask_kind(message: MaybeInaccessibleMessage, state: FSMContext, village_id: int) -> None:
    await state.update_data(village_id=village_id)
    await state.set_state(Visiting.kind)
    await message.answer(_("Which visit was it?"), reply_markup=kbc.visit_kinds())


@router.callback_query(StateFilter(Visiting.kind), DiaryCb.filter(F.action == "kind"))
async def kind_chosen(query: CallbackQuery, callback_data: DiaryCb, state: FSMContext):
    """Remember the kind of visit and ask for the notes."""
    if callback_data.arg not in set(VisitKind):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await state.update_data(kind=callback_data.arg, notes=[], photos=[])
    await state.set_state(Visiting.notes)
    await query.answer()
    await edit(query, _("{kind}: write what you saw and heard. You may add photos and your location. Press “Done” "
                        "when finished.").format(kind=visit_name(callback_data.arg)), reply_markup=kbc.visit_notes())


@router.message(StateFilter(Visiting.notes))
async def add_note(message: Message, state: FSMContext):
    """Add words, a photo or the place to the visit."""
    part = part_of(message)
    if part is None or part.kind not in (MessageKind.text, MessageKind.photo, MessageKind.location) or (
            part.kind is MessageKind.text and part.text.startswith("/")):
        await message.answer(_("Please send words, a photo or a location, or press “Done”."),
                             reply_markup=kbc.visit_notes())
        return
    data = await state.get_data()
    if len(data["notes"]) + len(data["photos"]) >= MAX_PARTS:
        await message.answer(_("That is enough for one visit. Please press “Done”."), reply_markup=kbc.visit_notes())
        return
    if part.text:
        data["notes"].append(part.text)
    if part.kind is MessageKind.photo:
        data["photos"].append(part.file_id)
    if part.kind is MessageKind.location:
        data["location"] = [part.latitude, part.longitude]
    await state.update_data(notes=data["notes"], photos=data["photos"], location=data.get("location"))
    await message.answer(_("Noted. Add more, or press “Done”."), reply_markup=kbc.visit_notes())


@router.callback_query(StateFilter(Visiting.notes), DiaryCb.filter(F.action == "save"))
async def save_visit(query: CallbackQuery, session: AsyncSession, person: Person, state: FSMContext, now):
    """Log the visit in the diary."""
    data = await state.get_data()
    location = data.get("location") or [None, None]
    entry = await diary.record_visit(session, cadre=person, now=now, visit=diary.Visit(
        kind=VisitKind(data["kind"]), notes="\n".join(data["notes"]), photos=tuple(data["photos"]),
        latitude=location[0], longitude=location[1], household_id=data.get("household_id"),
        household_name=data.get("household_name"), village_id=data.get("village_id")))
    await state.clear()
    await query.answer(_("Saved."))
    await edit(query, _("✅ Visit logged: {household} · {kind}.\nDid the household raise something to be handled? "
                        "Report it for them.").format(household=esc(data.get("label", "")),
                                                      kind=visit_name(entry.kind)),
               reply_markup=kbc.after_visit(entry.id))


@router.callback_query(DiaryCb.filter(F.action == "case"))
async def behalf_category(query: CallbackQuery, callback_data: DiaryCb, session: AsyncSession, person: Person,
                          suggester: CategorySuggester, now):
    """Offer the categories for a case filed for the household, the one the notes suggest first."""
    entry = await diary.own_entry(session, callback_data.id, person)
    await query.answer()
    if entry.case_id:
        case = await q.case_by_id(session, entry.case_id)
        await where(query).answer(_("A case was already filed from this visit: {number}.").format(number=case.number))
        return
    suggestion = await suggester.suggest(session, entry.notes, now)
    options = category_options(await q.categories(session), person.language, suggestion)
    await edit(query, _("Report for {household}: what is it about?").format(
        household=esc(diary.household_label(entry))), reply_markup=kbc.behalf_categories(entry.id, options))


@router.callback_query(DiaryCb.filter(F.action == "cat"))
async def behalf_anonymity(query: CallbackQuery, callback_data: DiaryCb, session: AsyncSession, person: Person,
                           config: ServiceConfig, now):
    """Ask whether the owner may see the household's name (a conduct complaint is always anonymous)."""
    entry = await diary.own_entry(session, callback_data.id, person)
    category = await session.get(Category, callback_data.arg)
    if category is None:
        await query.answer(_("Please choose a category with the buttons."), show_alert=True)
        return
    if category.confidential:
        await file_for_household(query, session, person, config, now, entry.id, category.code, anonymous=True)
        return
    await query.answer()
    await edit(query, _("May the cadre in charge see the household's name?"),
               reply_markup=kbc.behalf_anonymity(entry.id, category.code))


@router.callback_query(DiaryCb.filter(F.action.in_({"named", "anon"})))
async def behalf_file(query: CallbackQuery, callback_data: DiaryCb, session: AsyncSession, person: Person,
                      config: ServiceConfig, now):
    """File the case for the household."""
    await file_for_household(query, session, person, config, now, callback_data.id, callback_data.arg,
                             anonymous=callback_data.action == "anon")


async def file_for_household(query: CallbackQuery, session: AsyncSession, person: Person, config: ServiceConfig,
                             now, entry_id: int, category_code: str, anonymous: bool) -> None:
    case = await diary.open_case_for_visit(session, config, cadre=person, entry_id=entry_id,
                                           category_code=category_code, anonymous=anonymous, now=now)
    await query.answer(_("Submitted"))
    values = {"number": case.number, "owner": person_label(case.owner), "due": when(case.due_at, config.tz)}
    if case.reporter.channel == HOUSEHOLD_CHANNEL:
        text = _("✅ Case <b>{number}</b> filed for the household.\nHandled by: {owner}\nTo be settled by: {due}\n"
                 "The household has no account here: please tell them the answer in person.")
    else:
        text = _("✅ Case <b>{number}</b> filed for the household.\nHandled by: {owner}\nTo be settled by: {due}")
    await edit(query, text.format(**values))


@router.callback_query(DiaryCb.filter(F.action == "stop"))
async def stop(query: CallbackQuery, state: FSMContext):
    """Leave the diary step."""
    await state.clear()
    await query.answer(_("Cancelled."))
    await edit(query, _("Cancelled."))


@router.message(StateFilter(Visiting.village, Visiting.kind))
async def expecting_button(message: Message):
    """Point at the buttons when the step needs a choice."""
    await message.answer(_("Please use the buttons above, or /cancel to stop."))


