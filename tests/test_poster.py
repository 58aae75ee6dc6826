"""`python -m bot village poster CODE`: a printable page whose QR code opens the village's invitation link."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def bot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'poster.db'}", "PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING",
           "BOT_USERNAME": "qingshan_bot"}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("poster")
    assert bot(folder, "demo").returncode == 0
    return folder


def test_the_poster_is_an_a4_page_whose_qr_code_is_the_village_link(county):
    zxingcpp = pytest.importorskip("zxingcpp")
    out = county / "sq01.png"

    done = bot(county, "village", "poster", "sq01", "--out", str(out))
    link = bot(county, "village", "link", "sq01").stdout.split(": ", 1)[1].strip()

    image = Image.open(out)
    assert done.returncode == 0, done.stderr
    assert image.size == (1240, 1754)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [link]
    assert link == "https://t.me/qingshan_bot?start=v_sq01"


def test_the_poster_can_be_a_pdf(county):
    out = county / "sq02.pdf"

    done = bot(county, "village", "poster", "sq02", "--out", str(out))

    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 10_000


@pytest.mark.parametrize(("args", "message"), [
    (("village", "poster", "nope"), "no village with code"),
    (("village", "poster", "sq01", "--out", "poster.jpg"), "should end in .png or .pdf"),
])
def test_a_wrong_village_or_file_name_is_one_clear_line(county, args, message):
    done = bot(county, *args)

    assert done.returncode == 2 and message in done.stderr
