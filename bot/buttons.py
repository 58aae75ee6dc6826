"""Inline buttons in rows, built without aiogram's keyboard builder (which deep-copies every button it holds)."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

# Telegram's widest row of inline buttons, and aiogram's: buttons not arranged otherwise fill rows of this many.
ROW_WIDTH = 8


class Buttons:
    """Collect buttons, then lay them out in rows: `button`, `adjust` and `as_markup` as aiogram's builder has them."""

    def __init__(self) -> None:
        self.buttons: list[InlineKeyboardButton] = []
        self.sizes: tuple[int, ...] = (ROW_WIDTH,)

    def button(self, *, text: str, callback_data: CallbackData | str) -> Buttons:
        """Add a button that sends `callback_data` back when pressed."""
        if isinstance(callback_data, CallbackData):
            callback_data = callback_data.pack()
        self.buttons.append(InlineKeyboardButton(text=text, callback_data=callback_data))
        return self

    def adjust(self, *sizes: int) -> Buttons:
        """Lay the buttons out in rows of these sizes, the last size repeated for the rest."""
        if not sizes or not all(1 <= size <= ROW_WIDTH for size in sizes):
            raise ValueError(f"row sizes must be 1..{ROW_WIDTH}: {sizes}")
        self.sizes = sizes
        return self

    def rows(self) -> list[list[InlineKeyboardButton]]:
        """Return the buttons in their rows."""
        rows, start = [], 0
        while start < len(self.buttons):
            size = self.sizes[min(len(rows), len(self.sizes) - 1)]
            rows.append(self.buttons[start:start + size])
            start += size
        return rows

    def as_markup(self) -> InlineKeyboardMarkup:
        """Return the keyboard to send."""
        return InlineKeyboardMarkup(inline_keyboard=self.rows())
