"""Wording of the supervision views: rates, rankings and the weekly briefing, in the reader's language."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.texts import esc
from models import Person
from models.enums import Role
from services import wording
from services.briefing import Briefing
from services.diary_stats import VisitCount
from services.metrics import Cut, Metrics
from services.periods import Period
from services.ranking import Ranked, RankWeights

BEHIND_SHOWN = 15
# Two lines per unit: twenty stay well inside Telegram's 4096 characters in either language.
RANK_SHOWN = 20
VISITS_SHOWN = 15


def pct(rate: float | None) -> str:
    """Show a rate as a percentage with one decimal, or "no data"."""
    return wording.pct(rate, _)


def span(seconds: float | None) -> str:
    """Show a duration in hours below two days, in days above."""
    return wording.span(seconds, _)


def dates(period: Period, tz: ZoneInfo) -> str:
    """Show the period as local dates, the last day inclusive."""
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def area_name(person: Person) -> str:
    """Name what the person supervises: their township, or the whole county; inspectors their cases."""
    area = esc(person.township.name) if person.township else _("whole county")
    if person.role == Role.inspector:
        return _("{area}, cadre conduct cases").format(area=area)
    return area


def cut_name(cut: Cut) -> str:
    """Name the kind of unit of a cut, in the plural."""
    return {Cut.township: _("townships"), Cut.village: _("villages"), Cut.owner: _("responsible cadres"),
            Cut.category: _("categories")}[cut]


def refusal(person: Person) -> str:
    """Say politely that the rates are for supervisors, and where the person's own cases are."""
    if person.role == Role.villager:
        return _("The rates and the ledger are for supervisors and leaders. Your own cases are under /mycases.")
    return _("The rates and the ledger are for supervisors and leaders. Your open cases are under /cases.")


def period_usage() -> str:
    """Explain the periods /stats understands."""
    return _("Please give a period: week, month or year (nothing means the last 30 days). For example: "
             "/stats month")


def rate_lines(m: Metrics) -> list[str]:
    """Say every metric on its own line, each rate with its numerator and denominator."""
    rates = [
        (_("Response rate"), m.response_rate, m.responded_on_time, m.received),
        (_("Closure rate"), m.closure_rate, m.closed, m.received),
        (_("On-time closure rate"), m.on_time_rate, m.closed_on_time, m.closed),
        (_("Resolution rate"), m.resolution_rate, m.solved, m.closed),
        (_("Satisfaction rate"), m.satisfaction_rate, m.satisfied, m.rated),
        (_("Mediation rate"), m.mediation_rate, m.mediated, m.disputes_closed),
    ]
    lines = [_("Received: {count}").format(count=m.received)]
    lines += [_("{name}: {rate} ({part}/{whole})").format(name=name, rate=pct(rate), part=part, whole=whole)
              for name, rate, part, whole in rates]
    lines += [
        _("Median time to first contact: {time}").format(time=span(m.median_first_contact_s)),
        _("Median time to close: {time}").format(time=span(m.median_close_s)),
        _("Overdue now (listed for supervision): {count}").format(count=m.overdue),
    ]
    return lines


def stats_text(person: Person, period: Period, metrics: Metrics, tz: ZoneInfo,
               visits: list[VisitCount] | None = None) -> str:
    """Say the rates of the person's area for the period, and the cadres' household visits."""
    head = _("<b>📊 Rates · {area}</b>\n{dates}").format(area=area_name(person), dates=dates(period, tz))
    return "\n".join([head, "", *rate_lines(metrics), *visit_lines(visits or [])])


def visit_lines(visits: list[VisitCount]) -> list[str]:
    """Say the household visits (民情日记) per cadre, most first."""
    if not visits:
        return ["", _("<b>Household visits</b>: none logged")]
    lines = ["", _("<b>Household visits</b>: {visits} by {cadres} cadres").format(
        visits=sum(v.visits for v in visits), cadres=len(visits))]
    lines += [_("• {cadre}: {visits} visits, {households} households").format(
        cadre=esc(v.cadre), visits=v.visits, households=v.households) for v in visits[:VISITS_SHOWN]]
    if len(visits) > VISITS_SHOWN:
        lines.append(_("… and {more} more in the ledger: /ledger").format(more=len(visits) - VISITS_SHOWN))
    return lines


def rank_text(person: Person, cut: Cut, period: Period, ranked: list[Ranked], weights: RankWeights,
              tz: ZoneInfo) -> str:
    """Say the ranking: each unit's place, score and the rates it is made of."""
    head = _("<b>🏅 Ranking of {units} · {area}</b>\n{dates}").format(
        units=cut_name(cut), area=area_name(person), dates=dates(period, tz))
    lines = [head, _("Score = weighted response rate {response}, resolution rate {resolution}, satisfaction "
                     "rate {satisfaction}").format(response=weights.response, resolution=weights.resolution,
                                                   satisfaction=weights.satisfaction), ""]
    if not ranked:
        lines.append(_("No cases in this period."))
    for row in ranked[:RANK_SHOWN]:
        m = row.unit.metrics
        score = _("no data") if row.score is None else _("{score} points").format(score=f"{row.score:.1f}")
        lines.append(_("{place} <b>{name}</b> — {score}\n    response {response} · resolution {resolution} · "
                       "satisfaction {satisfaction} · {count} cases").format(
            place=f"{row.place}." if row.place else "—", name=esc(row.unit.name), score=score,
            response=pct(m.response_rate),
            resolution=pct(m.resolution_rate), satisfaction=pct(m.satisfaction_rate), count=m.received))
    if len(ranked) > RANK_SHOWN:
        lines.append(_("… and {more} more in the ledger: /ledger").format(more=len(ranked) - RANK_SHOWN))
    return "\n".join(lines)


def trend(now: float | None, before: float | None) -> str:
    """Show the change in percentage points against the week before."""
    if now is None or before is None:
        return ""
    points = (now - before) * 100
    arrow = "↑" if points > 0.05 else "↓" if points < -0.05 else "→"
    return f" {arrow}{abs(points):.1f}"


def briefing_text(b: Briefing, tz: ZoneInfo) -> str:
    """Say the briefing: the week against the week before, who is behind, the longest overdue."""
    week = Period(datetime.fromisoformat(b.start), datetime.fromisoformat(b.end))
    area = esc(b.area) if b.area else _("whole county")
    this, last = b.this_week, b.last_week
    lines = [_("<b>📰 Weekly briefing {week} · {area}</b>\n{dates}").format(week=b.week, area=area,
                                                                          dates=dates(week, tz)), "",
             _("Received: {count} (week before: {before})").format(count=this.received, before=last.received)]
    for name, rate in ((_("Response rate"), "response_rate"), (_("Closure rate"), "closure_rate"),
                       (_("On-time closure rate"), "on_time_rate"), (_("Resolution rate"), "resolution_rate"),
                       (_("Satisfaction rate"), "satisfaction_rate"), (_("Mediation rate"), "mediation_rate")):
        now, before = getattr(this, rate), getattr(last, rate)
        lines.append(_("{name}: {rate} (week before: {before}){trend}").format(
            name=name, rate=pct(now), before=pct(before), trend=trend(now, before)))
    lines.append(_("Overdue now (listed for supervision): {count}").format(count=this.overdue))
    lines += ["", _("<b>Public notice: below the line</b> (response rate under {response}, satisfaction "
                    "rate under {satisfaction})").format(response=pct(b.thresholds["response"]),
                                                          satisfaction=pct(b.thresholds["satisfaction"]))]
    if not b.behind:
        lines.append(_("Nobody is below the line. 👍"))
    shown = b.behind[:BEHIND_SHOWN]
    for cut in dict.fromkeys(unit.cut for unit in shown):
        lines.append(_("<i>{units}</i>").format(units=cut_name(Cut(cut))))
        lines += [_("• {name}: response {response}{flag1}, satisfaction {satisfaction}{flag2}").format(
            name=esc(unit.name), response=pct(unit.response_rate), satisfaction=pct(unit.satisfaction_rate),
            flag1=" ⚠" if unit.low_response else "", flag2=" ⚠" if unit.low_satisfaction else "")
            for unit in shown if unit.cut == cut]
    if len(b.behind) > BEHIND_SHOWN:
        lines.append(_("… and {more} more: /rank").format(more=len(b.behind) - BEHIND_SHOWN))
    lines += ["", _("<b>Longest overdue</b>")]
    if not b.overdue:
        lines.append(_("No overdue cases. 👍"))
    for case in b.overdue:
        lines.append(_("• {number} · {township} {village} · {owner} · {days} days late").format(
            number=case.number, township=esc(case.township), village=esc(case.village),
            owner=esc(case.owner or "—"), days=case.days_late))
    lines += campaign_lines(b)
    return "\n".join(lines)


def campaign_lines(b: Briefing) -> list[str]:
    """Say the week's early warnings, household visits and the cadres behind on pair visits."""
    risks = b.risks or {}
    lines = ["", _("<b>Early warnings</b>: {count} cases flagged this week").format(count=risks.get("flagged", 0))]
    if risks.get("flagged"):
        lines.append(_("reported again: {repeat} · several villagers: {cluster} · danger words: {danger}").format(
            **{k: risks.get("by_flag", {}).get(k, 0) for k in ("repeat", "cluster", "danger")}))
    if risks.get("open"):
        lines.append(_("Still open: {numbers} (/risks)").format(numbers="、".join(risks["open"])))
    visits = [VisitCount(**v) for v in b.visits]
    lines += visit_lines(visits)[:VISITS_SHOWN // 3 + 2]
    if b.pair_behind:
        lines += ["", _("<b>Behind on pair visits</b> (结对帮扶)")]
        lines += [_("• {cadre}: {count} households not visited in time").format(
            cadre=esc(row["cadre"]), count=row["households"]) for row in b.pair_behind[:BEHIND_SHOWN]]
    return lines
