"""Wording of the campaign's own tools: risk flags, the four visits, the five kinds, mediation."""
from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from models.enums import HouseholdKind, MediationNextStep, MediationOutcome, RiskFlag, VisitKind


def flag_name(flag: str) -> str:
    return {
        RiskFlag.repeat: _("reported again within 30 days"),
        RiskFlag.cluster: _("several villagers, one matter"),
        RiskFlag.danger: _("danger words"),
    }.get(flag, flag)


def flags_line(flags: list[str] | None, words: list[str] | None = None) -> str:
    """Say a case's risk flags in one line, with the danger words found."""
    names = [flag_name(f) for f in flags or []]
    if words:
        names = [n + ("：" + "、".join(words) if f == RiskFlag.danger else "") for f, n in zip(flags or [], names)]
    return "、".join(names)


def visit_name(kind: str) -> str:
    return {
        VisitKind.life: _("living conditions"), VisitKind.production: _("work and production"),
        VisitKind.policy: _("policies carried out"), VisitKind.development: _("plans for development"),
    }.get(kind, kind)


def household_kind_name(kind: str) -> str:
    return {
        HouseholdKind.influential: _("respected in the village"), HouseholdKind.sanctioned: _("once sanctioned"),
        HouseholdKind.policy_doubt: _("doubts about a policy"), HouseholdKind.relocated: _("land taken or relocated"),
        HouseholdKind.poor: _("living in hardship"),
    }.get(kind, kind)


def outcome_name(outcome: str) -> str:
    return {MediationOutcome.success: _("settled by mediation"),
            MediationOutcome.failure: _("mediation failed")}.get(outcome, outcome)


def next_step_name(step: str | None) -> str:
    return {MediationNextStep.escalate: _("pass it up a level"), MediationNextStep.law: _("guide to the law"),
            MediationNextStep.again: _("mediate again another day")}.get(step or "", "—")


def priority_mark(priority: int | None) -> str:
    """A mark for a raised priority: 🔴 urgent, 🟠 raised, nothing for normal."""
    return {2: "🔴", 1: "🟠"}.get(priority or 0, "")
