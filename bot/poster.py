"""A printable village poster: the village's name, its invitation QR code and how to report, in Chinese.

Drawn with Pillow (which matplotlib brings) in the shipped Noto Sans SC (bot/chart_font.py), so it
prints the same on a server without any CJK font; the QR code is made by segno. A4 at 150 dpi.
"""
from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.chart_font import chart_font_path

PAGE = (1240, 1754)  # A4 portrait at 150 dpi
MARGIN = 100
QR_SIZE = 820
BAND = 290
HOW_TO = (
    "① 用手机打开 Telegram，扫描上面的二维码",
    "② 点“我要反映”，选类别，说清楚什么事、在哪里",
    "③ 记下案件编号，办理进度和结果都会发给您",
)
TITLE = "群众诉求 扫码反映"
FOOTER = "小事不出村 · 大事不出乡 · 难事不出县"


def qr_image(link: str, size: int = QR_SIZE) -> Image.Image:
    """Return the link's QR code as a black-on-white image about `size` pixels wide (quiet zone included)."""
    code = segno.make(link, error="m", micro=False)
    width = code.symbol_size(border=4)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(size // width, 1), border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, fill: str = "#000") -> int:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((PAGE[0] - (right - left)) // 2, y), text, font=font, fill=fill)
    return y + (bottom - top)


def poster(village: str, township: str, link: str) -> Image.Image:
    """Draw the poster of one village."""
    font = str(chart_font_path())
    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([0, 0, PAGE[0], BAND], fill="#c62828")
    y = _centered(draw, 50, f"{township} {village}", ImageFont.truetype(font, 84), fill="#fff")
    _centered(draw, y + 50, TITLE, ImageFont.truetype(font, 48), fill="#fff")
    qr = qr_image(link)
    page.paste(qr, ((PAGE[0] - qr.width) // 2, BAND + 50))
    y = BAND + 50 + qr.height + 50
    body = ImageFont.truetype(font, 42)
    for line in HOW_TO:
        draw.text((MARGIN, y), line, font=body, fill="#222")
        y += 72
    _centered(draw, PAGE[1] - 150, FOOTER, ImageFont.truetype(font, 36), fill="#c62828")
    _centered(draw, PAGE[1] - 90, link, ImageFont.truetype(font, 26), fill="#666")
    return page


def save_poster(image: Image.Image, path: Path) -> Path:
    """Save the poster as PDF when the name ends in .pdf, else as PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".pdf":
        image.save(path, "PDF", resolution=150)
    else:
        image.save(path, "PNG")
    return path
