"""A villager's report: category → description → anonymity → summary → submitted.

Words first works too (a loose message, or "Not sure? Tell us first"): then the categories come after
the description, the one the words suggest first and marked 💡 (services/suggest.py).
"""
from __future__ import annotations

from uuid import uuid4

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import MenuButton
from bot import keyboards
from bot.keyboards import PickCb
from bot.parts import part_of
from bot.screens import edit, set_buttons, where
from bot.texts import esc, person_label, short, when
from handlers.moderation import refuse_at_cap
from handlers.start import ask_township
from models import Category, Person, Village
from models import queries as q
from models.enums import MessageKind, Role
from services.config import ServiceConfig
from services.conversation import remember_message
from services.intake import Part, check_part, submit_case
from services.suggest import CategorySuggester

router = Router(name="intake")


class Intake(StatesGroup):
    category = State()
    describing = State()
    anonymity = State()
    confirm = State()


@router.message(Command("new"))
@router.message(MenuButton(__("📝 Report a problem")))
async def begin(message: Message, state: FSMContext, session: AsyncSession, person: Person,
                config: ServiceConfig):
    """Start a report with the category buttons (not past MAX_OPEN_CASES)."""
    if person.role != Role.villager:
        await message.answer(_("Reports are made by villagers. Your cases: /cases"))
        return
    if person.village_id is None:
        await ask_township(message, session)
        return
    if await refuse_at_cap(message, session, person, config):
        return
    await state.set_state(Intake.category)
    await state.set_data({"parts": []})
    await show_categories(message, session, person, offer_words_first=True)


async def show_categories(message: MaybeInaccessibleMessage, session: AsyncSession, person: Person,
                          suggestion: str | None = None, offer_words_first: bool = False) -> None:
    options = category_options(await q.categories(session), person.language, suggestion)
    if offer_words_first:
        options.append(("", _("✍️ Not sure? Tell us first")))
    text = _("What is it about? Choose one:")
    if suggestion in {code for code, _label in options}:
        text = _("What is it about? 💡 is our guess from your words; please choose yourself:")
    await message.answer(text, reply_markup=keyboards.picks("cat", options))


def category_options(categories, language: str, suggestion: str | None) -> list[tuple[str, str]]:
    """Return (code, label) for the category buttons, the suggested one first and marked 💡."""
    options = [(c.code, c.name(language)) for c in categories]
    for index, (code, label) in enumerate(options):
        if code == suggestion:
            return [(code, "💡" + label)] + options[:index] + options[index + 1:]
    return options


async def suggest_for(session: AsyncSession, suggester: CategorySuggester, parts: list[dict], now) -> str | None:
    """Suggest a category from the words of a draft."""
    words = " ".join(p.get("text") or "" for p in parts)
    return await suggester.suggest(session, words, now)


@router.callback_query(StateFilter(Intake.category), PickCb.filter((F.what == "cat") & (F.value == "")))
async def words_first(query: CallbackQuery, state: FSMContext):
    """Take the description first; the category is chosen after it, with a suggestion."""
    await state.set_state(Intake.describing)
    await query.answer()
    await edit(query, _("Please describe the problem: what happened, where, since when. You may send text, photos, "
                        "voice messages or your location, in several messages. Then press “Next”."),
               reply_markup=keyboards.describing())


@router.callback_query(StateFilter(Intake.category), PickCb.filter(F.what == "cat"))
async def pick_category(query: CallbackQuery, callback_data: PickCb, state: FSMContext, session: AsyncSession,
                        person: Person):
    """Remember the category and ask for the description (or go on, when it was given first)."""
    category = await session.get(Category, callback_data.value)
    if category is None:
        await query.answer(_("Please choose a category with the buttons."), show_alert=True)
        return
    data = await state.update_data(category=category.code)
    await query.answer()
    if data.get("described"):
        await set_buttons(query)
        await after_description(where(query), state, session, person, category)
        return
    await state.set_state(Intake.describing)
    if (await state.get_data()).get("parts"):
        text = _("<b>{category}</b>\nYour message is noted. Add more (text, photos, voice, location), or press "
                 "“Next”.")
        markup = keyboards.describing()
    else:
        text = _("<b>{category}</b>\nPlease describe the problem: what happened, where, since when. You may send "
                 "text, photos, voice messages or your location, in several messages. Then press “Next”.")
        markup = keyboards.describing()
    await edit(query, text.format(category=esc(category.name(person.language))), reply_markup=markup)


@router.message(StateFilter(Intake.describing))
async def add_to_description(message: Message, state: FSMContext, config: ServiceConfig):
    """Add one message to the description."""
    part = part_of(message)
    if part is None:
        await message.answer(_("That kind of message cannot be added. Please send text, a photo, a voice message "
                               "or a location."), reply_markup=keyboards.describing())
        return
    if part.kind is MessageKind.text and part.text.startswith("/"):
        await message.answer(_("You are in the middle of a report. Press “Next” when done, or /cancel."),
                             reply_markup=keyboards.describing())
        return
    part = check_part(part)
    data = await state.get_data()
    if len(data.get("parts", [])) >= config.max_parts:
        await message.answer(_("That is enough material for one report. Please press \"Next\"."),
                             reply_markup=keyboards.describing())
        return
    parts = [*data.get("parts", []), part.as_dict()]
    await state.update_data(parts=parts)
    await message.answer(_("Noted ({count} so far). Send more, or press “Next”.").format(count=len(parts)),
                         reply_markup=keyboards.describing())


@router.callback_query(StateFilter(Intake.describing), PickCb.filter((F.what == "desc") & (F.value == "done")))
async def description_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, person: Person,
                           suggester: CategorySuggester, now):
    """Ask about anonymity, or for the category when the words came first (with a suggestion)."""
    data = await state.get_data()
    await query.answer()
    if not data.get("parts"):
        await where(query).answer(_("Please describe the problem first."), reply_markup=keyboards.describing())
        return
    if not data.get("category"):
        await state.update_data(described=True)
        await state.set_state(Intake.category)
        await show_categories(where(query), session, person, await suggest_for(session, suggester, data["parts"], now))
        return
    await after_description(where(query), state, session, person, await session.get(Category, data["category"]))


async def after_description(message: MaybeInaccessibleMessage, state: FSMContext, session: AsyncSession,
                            person: Person, category: Category) -> None:
    """Ask about anonymity, or go straight to the summary when the category hides the reporter."""
    if category.confidential:
        await state.update_data(anonymous=True)
        await show_summary(message, state, session, person)
        return
    await state.set_state(Intake.anonymity)
    await message.answer(_("May the cadre see your name? If you stay anonymous, only the case number "
                           "links you to the report."), reply_markup=keyboards.anonymity())


@router.callback_query(StateFilter(Intake.anonymity), PickCb.filter(F.what == "anon"))
async def pick_anonymity(query: CallbackQuery, callback_data: PickCb, state: FSMContext, session: AsyncSession,
                         person: Person):
    """Remember the choice and show the summary."""
    await state.update_data(anonymous=callback_data.value == "1")
    await query.answer()
    await show_summary(where(query), state, session, person)


async def show_summary(message: MaybeInaccessibleMessage, state: FSMContext, session: AsyncSession,
                       person: Person) -> None:
    data = await state.get_data()
    category = await session.get(Category, data["category"])
    village = await session.get(Village, person.village_id) if person.village_id else None
    parts = [Part.from_dict(p) for p in data["parts"]]
    words = " ".join(p.text for p in parts if p.kind is MessageKind.text and p.text)
    files = sum(1 for p in parts if p.kind is not MessageKind.text)
    lines = [_("<b>Please check your report</b>"),
             _("Category: {category}").format(category=esc(category.name(person.language))),
             _("Village: {village}").format(village=esc(village.name) if village else "—"),
             _("Description: {text}").format(text=esc(short(words, 800)) or "—")]
    if files:
        lines.append(_("Attachments: {count}").format(count=files))
    if category.confidential:
        lines.append(_("🔒 This goes straight to the county discipline inspectors; village and township cadres "
                       "will not see it or your name."))
    else:
        lines.append(_("Name shown to the cadre: {answer}").format(
            answer=_("no (anonymous)") if data.get("anonymous") else _("yes")))
    await state.set_state(Intake.confirm)
    if "draft" not in data:
        # Names the draft for good: a second press of "Submit" finds the case the first one filed.
        await state.update_data(draft=uuid4().hex)
    await message.answer("\n".join(lines), reply_markup=keyboards.confirm())


@router.callback_query(StateFilter(Intake.confirm), PickCb.filter((F.what == "intake") & (F.value == "submit")))
async def submit(query: CallbackQuery, state: FSMContext, session: AsyncSession, person: Person,
                 config: ServiceConfig, now):
    """File the case and tell the villager its number, who handles it and by when."""
    data = await state.get_data()
    if await refuse_at_cap(where(query), session, person, config, draft=data.get("draft")):
        await query.answer()
        return
    # Cleared with the filing, in its transaction; if filing fails, the draft stays.
    await state.clear()
    case = await submit_case(session, config, reporter=person, category_code=data["category"],
                             parts=[Part.from_dict(p) for p in data["parts"]],
                             anonymous=bool(data.get("anonymous")), now=now, draft_key=data.get("draft"),
                             open_cap=config.max_open_cases)
    await query.answer(_("Submitted"))
    await set_buttons(query)
    receipt = await where(query).answer(
        _("✅ Received. Your case number is <b>{number}</b>.\nHandled by: {owner}\nTo be settled by: {due}\n\n"
          "You will be told of every step here. To add something, reply to any message about this case.").format(
            number=case.number, owner=person_label(case.owner), due=when(case.due_at, config.tz)),
        reply_markup=keyboards.main_menu(person))
    remember_message(session, chat=str(receipt.chat.id), message_id=receipt.message_id, case_id=case.id)


@router.callback_query(StateFilter(Intake), PickCb.filter((F.what == "intake") & (F.value == "restart")))
async def restart(query: CallbackQuery, state: FSMContext, session: AsyncSession, person: Person):
    """Throw the draft away and choose the category again."""
    await state.set_state(Intake.category)
    await state.set_data({"parts": []})
    await query.answer()
    await show_categories(where(query), session, person, offer_words_first=True)


@router.callback_query(PickCb.filter((F.what == "intake") & (F.value == "cancel")))
async def cancel_intake(query: CallbackQuery, state: FSMContext, person: Person):
    """Drop the draft."""
    await state.clear()
    await query.answer(_("Cancelled."))
    await where(query).answer(_("The report was cancelled."), reply_markup=keyboards.main_menu(person))


@router.message(StateFilter(Intake.category, Intake.anonymity, Intake.confirm))
async def expecting_button(message: Message):
    """Point at the buttons when the step needs a choice."""
    await message.answer(_("Please use the buttons above, or /cancel to stop."))
