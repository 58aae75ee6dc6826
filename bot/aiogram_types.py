"""Import aiogram with its Telegram types' validators built on first use, not all of them at import.

aiogram declares its ~300 types with pydantic's `defer_build`, then rebuilds every one at import to
resolve their forward references. That rebuild was most of the bot's start-up time and 100 MB of its
memory, for types the bot never receives. Here the rebuild only collects the namespace it was given,
which is then put where pydantic looks when it finally builds a type: the globals of aiogram's own
type and method modules. A later aiogram that stops rebuilding at import just imports as usual.
"""
from __future__ import annotations

import sys


def import_aiogram_lazily() -> None:
    """Import aiogram.types and aiogram.methods, deferring their validators to first use."""
    if "aiogram.types" in sys.modules:
        return
    import pydantic

    rebuild = pydantic.BaseModel.__dict__["model_rebuild"]
    names: dict = {}

    def collect(cls, *, _types_namespace=None, **kwargs):
        if _types_namespace is not None and cls.__module__.startswith("aiogram."):
            names.update(_types_namespace)
            return None
        return rebuild.__func__(cls, _types_namespace=_types_namespace, **kwargs)

    pydantic.BaseModel.model_rebuild = classmethod(collect)
    try:
        import aiogram.methods  # noqa: F401
        import aiogram.types  # noqa: F401
    finally:
        pydantic.BaseModel.model_rebuild = rebuild
    for name, module in list(sys.modules.items()):
        if name.startswith(("aiogram.types.", "aiogram.methods.")) and module is not None:
            for key, value in names.items():
                module.__dict__.setdefault(key, value)
