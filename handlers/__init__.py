"""Routers, one per topic, in the order the dispatcher tries them."""
from aiogram import Router

from handlers import cadre, conversation, fallback, intake, replies, start, villager

# Order matters: commands and menu buttons first so that /cancel works in any step; replies to a
# case before the steps, so a reply always reaches its case; loose messages and the fallback last.
ROUTERS: list[Router] = [
    start.router,
    replies.router,
    cadre.router,
    villager.router,
    intake.router,
    conversation.router,
    fallback.router,
]
