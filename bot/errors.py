"""Translated words for each domain failure."""
from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from services import errors


def explain(exc: Exception | None) -> str:
    """Return what to tell the person about this failure, in their language."""
    if isinstance(exc, errors.CaseNotFound):
        return _("That case was not found.")
    if isinstance(exc, errors.PersonNotFound):
        return _("Nobody of your area was found by that case number, @username or Telegram id.")
    if isinstance(exc, errors.TooManyOpenCases):
        return _("You already have {count} cases being handled; please wait until one is settled.").format(
            count=exc.open_cases)
    if isinstance(exc, errors.NotAllowed):
        return _("You are not allowed to do that.")
    if isinstance(exc, errors.InvalidTransition):
        return _("This case cannot do that now; it may have been handled already.")
    if isinstance(exc, errors.NobodyToRoute):
        return _("No cadre is assigned to your village yet, so the report cannot be filed. "
                 "Your draft is kept; please contact your township.")
    if isinstance(exc, errors.UnknownVillage):
        return _("That village is not in the directory. Please choose again with /start.")
    if isinstance(exc, errors.InvalidInvitation):
        return _("This invitation link is not valid or was already used.")
    if isinstance(exc, errors.InvalidInput):
        return {
            "empty": _("That was empty. Please write a few words."),
            "too_long": _("That is too long. Please keep it shorter."),
            "too_many": _("That is enough material for one report. Please press \"Next\"."),
            "revisit": _("Please choose a date in the future."),
            "no_village": _("Please choose your village first: /start"),
            "category": _("Please choose a category with the buttons."),
            "date": _("Please write the date and time like 2026-12-01 09:00."),
            "cron": _("That is not a cron expression. Example: 0 9 * * 1 (Mondays 9:00)."),
            "audience": _("That area is not in the directory."),
            "policy": _("That explainer was not found."),
            "broadcast_content": _("Give either a text or an explainer."),
            "day": _("Please write a day that has passed, like 11-28 or 2026-11-28."),
            "agreement": _("A settled mediation needs its agreement: its text or a photo."),
            "next_step": _("Please choose what comes next."),
            "not_dispute": _("Mediations are recorded for disputes only."),
            "nothing_to_link": _("There is no other open case of this matter to link."),
            "reason": _("Please give a reason."),
            "not_muted": _("That person is not muted."),
        }.get(str(exc), _("That cannot be used. Please try again."))
    return _("Sorry, something went wrong. Please try again in a moment.")
