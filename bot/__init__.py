"""The composition root: settings, wiring, the `python -m bot` CLI, middlewares, i18n, the outbox sender."""
from bot.aiogram_types import import_aiogram_lazily

import_aiogram_lazily()
