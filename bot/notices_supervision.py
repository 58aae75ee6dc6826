"""The weekly briefing notice: a text message and a PNG chart drawn with matplotlib (Agg, no display)."""
from __future__ import annotations

import asyncio
import io
import logging

from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _

from bot.chart_font import drawable, use_chart_font
from bot.notices import notice
from bot.texts_supervision import briefing_text
from services.briefing import STATUS_ORDER, Briefing

log = logging.getLogger(__name__)

STATUS_COLOURS = ["#bdbdbd", "#fdd835", "#42a5f5", "#ab47bc", "#66bb6a"]
RATE_COLOURS = ["#42a5f5", "#ffa726", "#66bb6a"]


def status_labels() -> list[str]:
    """Name the statuses in STATUS_ORDER for the chart legend."""
    return [_("submitted"), _("waiting to be taken on"), _("in progress"), _("answered"), _("closed")]


def chart_labels() -> dict:
    """Collect the translated words of the chart (gettext needs the request's locale, not the thread's)."""
    return {
        "statuses": status_labels(),
        "rates": [_("Response rate"), _("Resolution rate"), _("Satisfaction rate")],
        "per_day": _("Cases received per day, by status now"),
        "per_township": _("Rates per township this week"),
        "threshold": _("threshold"),
    }


def briefing_chart(b: Briefing, labels: dict) -> bytes:
    """Draw cases per day by status and the rates per township; return PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    use_chart_font()
    figure = Figure(figsize=(11, 5), dpi=100, layout="constrained")
    days, rates = figure.subplots(1, 2, width_ratios=[1, 1.3])
    _per_day(days, b, labels)
    _per_township(rates, b, labels)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _per_day(axes, b: Briefing, labels: dict) -> None:
    """Stack the cases received each day by their status now."""
    names = [day["day"][5:] for day in b.daily]
    # Bars at positions, names as ticks: "11-23" as a category makes matplotlib log that it looks like a date.
    positions = range(len(names))
    bottom = [0] * len(b.daily)
    for status, label, colour in zip(STATUS_ORDER, labels["statuses"], STATUS_COLOURS):
        heights = [day.get(status.value, 0) for day in b.daily]
        axes.bar(positions, heights, bottom=bottom, label=label, color=colour)
        bottom = [a + h for a, h in zip(bottom, heights)]
    axes.set_xticks(positions, names)
    axes.set_title(labels["per_day"])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)


def _per_township(axes, b: Briefing, labels: dict) -> None:
    """Group the three rates per township, with the threshold lines."""
    names = [drawable(t["name"]) for t in b.townships]
    width = 0.8 / 3
    for index, (key, label, colour) in enumerate(zip(("response_rate", "resolution_rate", "satisfaction_rate"),
                                                     labels["rates"], RATE_COLOURS)):
        positions = [i + (index - 1) * width for i in range(len(names))]
        values = [100 * (t[key] or 0) for t in b.townships]
        axes.bar(positions, values, width=width, label=label, color=colour)
    axes.set_xticks(range(len(names)), names)
    for key, name, style in (("response", labels["rates"][0], "--"), ("satisfaction", labels["rates"][2], ":")):
        axes.axhline(100 * b.thresholds[key], color="#e53935", linestyle=style, linewidth=1,
                     label=f"{labels['threshold']}: {name}")
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(labels["per_township"])
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)


@notice("briefing")
async def weekly_briefing(renderer, session, chat, person, case, payload):
    """Send a supervisor the week's briefing as text, then the chart."""
    briefing = Briefing.from_payload(payload["briefing"])
    calls = [SendMessage(chat_id=chat, text=briefing_text(briefing, renderer.tz))]
    # Drawing takes a fraction of a second: off the event loop, so other sends and updates go on.
    png = await asyncio.to_thread(briefing_chart, briefing, chart_labels())
    calls.append(SendPhoto(chat_id=chat, photo=BufferedInputFile(png, "briefing.png"),
                           caption=_("Weekly briefing {week}").format(week=briefing.week)))
    return calls
