"""Charts as inline SVG drawn on the server: no JavaScript, no fonts to ship (the page's fonts draw the text)."""
from __future__ import annotations

from markupsafe import Markup, escape

from services.briefing import STATUS_ORDER

STATUS_COLOURS = ["#bdbdbd", "#fdd835", "#42a5f5", "#ab47bc", "#66bb6a"]
RATE_COLOURS = ["#42a5f5", "#ffa726", "#66bb6a"]
RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 36, 36, 12


def _legend(items: list[tuple[str, str]], y: int) -> list[str]:
    """Lay the legend out in one row under the chart."""
    out, x = [], LEFT
    for label, colour in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14}" y="{y}" font-size="11">{escape(label)}</text>')
        x += 24 + 12 * len(label) if not label.isascii() else 24 + 7 * len(label)
    return out


def _axis(peak: float, plot_h: int, unit: str = "") -> list[str]:
    """Draw the y axis with four grid lines."""
    out = []
    for i in range(5):
        value = peak * i / 4
        y = TOP + plot_h - plot_h * i / 4
        label = f"{value:.0f}{unit}"
        out.append(f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e8ee"/>'
                   f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')
    return out


def _svg(body: list[str], title: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 24}" role="img" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')


def daily_chart(daily: list[dict], status_labels: list[str], title: str) -> Markup:
    """Stack the cases received each day by their status now."""
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT
    peak = max([sum(day.get(s.value, 0) for s in STATUS_ORDER) for day in daily] + [4])
    peak = ((peak + 3) // 4) * 4
    body = _axis(peak, plot_h)
    step = plot_w / max(len(daily), 1)
    every = max(1, round(len(daily) / 12))
    for i, day in enumerate(daily):
        x, bottom = LEFT + i * step, TOP + plot_h
        for status, colour in zip(STATUS_ORDER, STATUS_COLOURS):
            count = day.get(status.value, 0)
            if count:
                h = plot_h * count / peak
                bottom -= h
                body.append(f'<rect x="{x + step * 0.1:.1f}" y="{bottom:.1f}" width="{step * 0.8:.1f}" '
                            f'height="{h:.1f}" fill="{colour}"><title>{escape(day["day"])} · '
                            f'{escape(status_labels[STATUS_ORDER.index(status)])}: {count}</title></rect>')
        if i % every == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{TOP + plot_h + 14}" font-size="10" '
                        f'text-anchor="middle">{escape(day["day"][5:])}</text>')
    body += _legend(list(zip(status_labels, STATUS_COLOURS)), HEIGHT + 14)
    return _svg(body, title)


def rates_chart(units: list, rate_labels: list[str], title: str) -> Markup:
    """Group the response, resolution and satisfaction rates per unit (no data draws no bar)."""
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT
    body = _axis(100, plot_h, "%")
    step = plot_w / max(len(units), 1)
    width = min(step * 0.8 / 3, 40)
    for i, unit in enumerate(units):
        centre = LEFT + i * step + step / 2
        for j, (rate, colour, label) in enumerate(zip(RATES, RATE_COLOURS, rate_labels)):
            value = getattr(unit.metrics, rate)
            if value is None:
                continue
            h = plot_h * value
            x = centre + (j - 1.5) * width
            body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                        f'fill="{colour}"><title>{escape(unit.name)} · {escape(label)}: '
                        f'{value * 100:.1f}%</title></rect>')
        body.append(f'<text x="{centre:.1f}" y="{TOP + plot_h + 14}" font-size="11" '
                    f'text-anchor="middle">{escape(unit.name)}</text>')
    body += _legend(list(zip(rate_labels, RATE_COLOURS)), HEIGHT + 14)
    return _svg(body, title)
