"""A cheap check at each router's door: only what one of its handlers could take goes in.

aiogram tries every handler of every router in turn, with the cost of a call for each filter; an
update that belongs to the last router paid for some fifty. The gate is read off the handlers' own
filters (their commands, menu buttons, conversation states and button prefixes), so it can never
disagree with them; a router with a handler that none of these describe gets no gate.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import MenuButton


class MessageGate(BaseFilter):
    """Let in a message that is one of the commands, one of the menu buttons, or sent in one of the states."""

    def __init__(self, commands: set[str], buttons: list[MenuButton], states: set[str | None]):
        self.commands, self.buttons, self.states = commands, buttons, states

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state in self.states:
            return True
        text = message.text or message.caption or ""
        if text.startswith("/"):
            return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() in self.commands if text[1:] else False
        return any(button.matches(text) for button in self.buttons)


class PressGate(BaseFilter):
    """Let in a button press whose data has one of the prefixes, or that happens in one of the states."""

    def __init__(self, prefixes: set[str], states: set[str | None]):
        self.prefixes, self.states = prefixes, states

    async def __call__(self, query: CallbackQuery, raw_state: str | None = None) -> bool:
        return raw_state in self.states or (query.data or "").split(":", 1)[0] in self.prefixes


def gate(router: Router) -> None:
    """Put a gate on the router's message and button observers, where every handler can be described."""
    described = _describe(router.message.handlers, _message_door)
    if described is not None:
        commands, buttons, states = described
        router.message.filter(MessageGate(commands, buttons, states))
    described = _describe(router.callback_query.handlers, _press_door)
    if described is not None:
        prefixes, _buttons, states = described
        router.callback_query.filter(PressGate(prefixes, states))


def _describe(handlers: list[HandlerObject], door) -> tuple[set[str], list[MenuButton], set[str | None]] | None:
    if not handlers:
        return None
    words: set[str] = set()
    buttons: list[MenuButton] = []
    states: set[str | None] = set()
    for handler in handlers:
        found = door([f.callback for f in handler.filters or []])
        if found is None:
            return None
        kind, values = found
        if kind == "button":
            buttons += values
        elif kind == "word":
            words |= values
        else:
            states |= values
    return words, buttons, states


def _message_door(filters: list[Any]) -> tuple[str, Iterable] | None:
    """Return one condition a message must meet for this handler, or None when it cannot be told."""
    for candidate in filters:
        if isinstance(candidate, Command) and candidate.prefix == "/" and all(
                isinstance(c, str) for c in candidate.commands):
            return "word", {c.lower() for c in candidate.commands}
        if isinstance(candidate, MenuButton):
            return "button", [candidate]
        states = _states(candidate)
        if states is not None:
            return "state", states
    return None


def _press_door(filters: list[Any]) -> tuple[str, Iterable] | None:
    """Return one condition a press must meet for this handler, or None when it cannot be told."""
    for candidate in filters:
        if isinstance(candidate, CallbackQueryFilter):
            return "word", {candidate.callback_data.__prefix__}
        states = _states(candidate)
        if states is not None:
            return "state", states
    return None


def _states(candidate: Any) -> set[str | None] | None:
    if not isinstance(candidate, StateFilter):
        return None
    names: set[str | None] = set()
    for state in candidate.states:
        if state == "*":
            return None
        if isinstance(state, State):
            names.add(state.state)
        elif isinstance(state, type) and issubclass(state, StatesGroup):
            names.update(state.__all_states_names__)
        else:
            names.add(state)
    return names
