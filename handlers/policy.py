"""Policy explainers: browse by topic, read, ask a question; and a villager's broadcast settings."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import Buttons
from bot.filters import MenuButton
from bot import keyboards
from bot.keyboards import PickCb, PolicyCb
from bot.markdown import pages
from bot.texts import BUTTON_LIMIT, esc, short
from bot.screens import edit, where
from handlers.intake import Intake
from handlers.moderation import refuse_at_cap
from services.config import ServiceConfig
from handlers.start import ask_township
from models import Category, Person
from models.enums import MessageKind, Role
from services import broadcasts, policies
from services.categories import POLICY_QUESTION
from services.intake import Part

router = Router(name="policy")


@router.message(Command("policy"))
@router.message(MenuButton(__("📖 Policies")))
async def show_topics(message: Message, session: AsyncSession):
    """List the explainers' topics as buttons."""
    topics = await policies.topics(session)
    if not topics:
        await message.answer(_("No policy explainers have been published yet."))
        return
    kb = Buttons()
    for index, topic in enumerate(topics):
        kb.button(text=short(topic, BUTTON_LIMIT), callback_data=PolicyCb(action="topic", topic=index))
    kb.adjust(2)
    await message.answer(_("Which policy would you like to read about?"), reply_markup=kb.as_markup())


@router.callback_query(PolicyCb.filter(F.action == "topic"))
async def show_explainers(query: CallbackQuery, callback_data: PolicyCb, session: AsyncSession):
    """List the explainers of a topic."""
    topics = await policies.topics(session)
    if not 0 <= callback_data.topic < len(topics):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    kb = Buttons()
    for article in await policies.explainers_of(session, topics[callback_data.topic]):
        kb.button(text=short(article.title, BUTTON_LIMIT), callback_data=PolicyCb(action="read", slug=article.slug))
    kb.adjust(1)
    await query.answer()
    await edit(query, f"<b>{esc(topics[callback_data.topic])}</b>", reply_markup=kb.as_markup())


@router.callback_query(PolicyCb.filter(F.action == "read"))
async def read_explainer(query: CallbackQuery, callback_data: PolicyCb, session: AsyncSession):
    """Send the explainer, split into messages, with a button to ask about it."""
    article = await policies.explainer(session, callback_data.slug)
    await query.answer()
    texts = pages(article.body)
    texts[0] = f"<b>{esc(article.title)}</b>\n\n" + texts[0]
    if article.sample:
        texts[0] = _("<i>(Sample text, to be replaced by the county.)</i>") + "\n" + texts[0]
    kb = Buttons()
    kb.button(text=_("🙋 I have a question"), callback_data=PolicyCb(action="ask", slug=article.slug))
    for index, text in enumerate(texts):
        await where(query).answer(text, reply_markup=kb.as_markup() if index == len(texts) - 1 else None)


@router.callback_query(PolicyCb.filter(F.action == "ask"))
async def ask_about_explainer(query: CallbackQuery, callback_data: PolicyCb, session: AsyncSession,
                              person: Person, state: FSMContext, config: ServiceConfig):
    """Start a policy question that names the explainer."""
    article = await policies.explainer(session, callback_data.slug)
    await query.answer()
    if person.role != Role.villager:
        await where(query).answer(_("Reports are made by villagers. Your cases: /cases"))
        return
    if person.village_id is None:
        await ask_township(where(query), session)
        return
    if await refuse_at_cap(where(query), session, person, config):
        return
    category = await session.get(Category, POLICY_QUESTION)
    if category is None:
        await where(query).answer(_("Please use /new to ask your question."))
        return
    await state.set_state(Intake.describing)
    await state.set_data({"category": category.code,
                          "parts": [Part(MessageKind.text, text=f"《{article.title}》").as_dict()]})
    await where(query).answer(_("What would you like to know about “{title}”? Write your question, then press "
                                 "“Next”.").format(title=esc(article.title)), reply_markup=keyboards.describing())


@router.message(Command("settings"))
async def show_settings(message: Message, person: Person):
    """Show whether routine broadcasts reach the villager, with a button to change it."""
    kb = Buttons()
    if person.subscribed:
        text = _("You receive the county's notices and policy explainers.")
        kb.button(text=_("Stop routine notices"), callback_data=PickCb(what="sub", value="0"))
    else:
        text = _("Routine notices are stopped. Urgent notices (such as fire bans) still reach you.")
        kb.button(text=_("Receive notices again"), callback_data=PickCb(what="sub", value="1"))
    await message.answer(text, reply_markup=kb.as_markup())


@router.callback_query(PickCb.filter(F.what == "sub"))
async def change_subscription(query: CallbackQuery, callback_data: PickCb, session: AsyncSession, person: Person):
    """Stop or restart routine broadcasts."""
    await broadcasts.set_subscription(session, person, callback_data.value == "1")
    await query.answer()
    if person.subscribed:
        text = _("You will receive notices again.")
    else:
        text = _("Routine notices are stopped. Urgent notices (such as fire bans) still reach you.")
    await edit(query, text)
