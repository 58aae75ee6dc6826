"""Routers, one per topic, in the order the dispatcher tries them."""
from aiogram import Router

from bot.gates import gate
from handlers import (
    broadcast, cadre, conversation, dashboard, deadlines, diary, fallback, intake, mediation, membership, moderation,
    outside, policy, replies, risks, signoff, start, supervision, team, villager,
)

# Order matters: commands and menu buttons first so that /cancel works in any step; replies to a
# case before the steps, so a reply always reaches its case; loose messages and the fallback last.
ROUTERS: list[Router] = [
    # Groups, channels and bot accounts first: nothing after it may ever answer there with case data,
    # and every later handler may rely on a person in a private chat.
    outside.router,
    # A person blocking or unblocking the bot: no message, only a mark on the person.
    membership.router,
    start.router,
    # Supervisors' commands (/stats, /rank, /ledger) right after /start and /cancel: plain commands,
    # never a reply or a step of a conversation.
    supervision.router,
    # /dashboard is a plain command too: a login link whatever step the person is in.
    dashboard.router,
    # A supervisor's /mute, /unmute, /muted, /allow, /person: plain commands, and the typed reason or note
    # of their steps, before any router that takes loose words.
    moderation.router,
    replies.router,
    cadre.router,
    deadlines.router,
    # The campaign's tools: sign-off, the team, mediation, early warning, the diary. Their steps take
    # words and photos, so they come before the intake and the loose messages.
    signoff.router,
    team.router,
    mediation.router,
    risks.router,
    diary.router,
    villager.router,
    policy.router,
    broadcast.router,
    intake.router,
    conversation.router,
    fallback.router,
]


for _router in ROUTERS:
    gate(_router)


def include_all(dispatcher: Router) -> None:
    """Attach every router to a fresh dispatcher, in the order above."""
    for router in ROUTERS:
        # Module routers are singletons; a new dispatcher (each test builds one) takes them over.
        router._parent_router = None
    dispatcher.include_routers(*ROUTERS)
