"""The .xlsx workbook the ledger is written into, and local times as Excel reads them.

rvgsrust-xlsxwriter (Python bindings over the Rust rust_xlsxwriter crate) writes each sheet in
constant-memory mode: rows go to a temporary file in order, so memory stays flat however many
cases there are, and a batch of rows is one call into Rust. bench/ledger_export.py measured it
against openpyxl, XlsxWriter, PyExcelerate and rustpy-xlsxwriter (bench/README.md).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import BinaryIO
from zoneinfo import ZoneInfo

from rvgsrust_xlsxwriter import Workbook

log = logging.getLogger(__name__)

HEADER_FILL = "#DDEBF7"
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (valid from March 1900)
UNIX_EPOCH = datetime(1970, 1, 1)
DAY, HOUR, TICK = timedelta(days=1), timedelta(hours=1), timedelta(microseconds=1)
_UNKNOWN = object()


class ExcelClock:
    """Turn naive UTC datetimes into Excel serial days on the wall clock of a time zone.

    Asking the zone costs more than the rest of a ledger row, so its offset is kept per UTC hour:
    an hour that starts and ends on the same offset has no transition inside (no zone of the tz
    database changes twice within an hour); an hour with a transition asks the zone per value.
    """

    def __init__(self, tz: ZoneInfo):
        self._tz = tz
        self._offsets: dict[int, timedelta | None] = {}

    def serial(self, utc: datetime | None) -> float | None:
        """Return the moment as Excel's day number in local time, or None."""
        if utc is None:
            return None
        hour = (utc - UNIX_EPOCH) // HOUR
        offset = self._offsets.get(hour, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = self._offsets[hour] = self._steady_offset(hour)
        if offset is None:
            offset = self._offset_at(utc)
        return (utc - EXCEL_EPOCH + offset) / DAY

    def _offset_at(self, utc: datetime) -> timedelta:
        return utc.replace(tzinfo=timezone.utc).astimezone(self._tz).utcoffset()

    def _steady_offset(self, hour: int) -> timedelta | None:
        start = UNIX_EPOCH + hour * HOUR
        first, last = self._offset_at(start), self._offset_at(start + HOUR - TICK)
        return first if first == last else None


class Sheet:
    """One worksheet under its frozen header row; rows go strictly in order."""

    def __init__(self, worksheet, width: int, cell_formats: dict):
        self._sheet = worksheet
        self._width = width
        self._cell_formats = cell_formats
        self.rows = 0

    def extend(self, rows: list[list]) -> None:
        """Append rows (lists of text, numbers and None for a blank)."""
        self._sheet.write_rows(self.rows + 1, 0, rows)
        self.rows += len(rows)

    def append(self, row: list) -> None:
        """Append one row, giving the numbers of the cell-formatted columns their format."""
        self.rows += 1
        for col, value in enumerate(row):
            if value is None:
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            self._sheet.write(self.rows, col, value, self._cell_formats.get(col) if number else None)

    def filter(self, rows: int) -> None:
        """Put the auto filter on the header and the first `rows` rows under it."""
        self._sheet.autofilter(0, 0, rows, self._width - 1)


class Book:
    """An .xlsx workbook of ledger-style sheets, saved once at the end."""

    def __init__(self):
        self._book = Workbook()
        self._header = self._book.add_format().set_bold().set_background_color(HEADER_FILL).set_align("center")
        self._number_formats: dict[str, object] = {}

    def sheet(self, title: str, columns, *, column_formats: dict[int, str] | None = None,
              cell_formats: dict[int, str] | None = None) -> Sheet:
        """Add a sheet of (header, width) columns with a bold, filled, frozen header row.

        column_formats (number formats by column index) hold for every cell of their columns,
        which must then hold numbers or nothing, and let a batch of rows be one call into Rust;
        cell_formats hold only for the numbers of their columns, so a dash for "no data" stays
        plain text.
        """
        worksheet = self._book.add_worksheet(title, constant_memory=True)
        for col, (_title, width) in enumerate(columns):
            worksheet.set_column_width(col, width)
        for col, code in (column_formats or {}).items():
            worksheet.set_column_format(col, self._format(code))
        worksheet.freeze_panes(1, 0)
        worksheet.write_row(0, 0, [header for header, _width in columns], self._header)
        cells = {col: self._format(code) for col, code in (cell_formats or {}).items()}
        return Sheet(worksheet, len(columns), cells)

    def save(self, target: str | BinaryIO) -> None:
        """Write the workbook to a path or a binary file (Rust zips it without holding the GIL)."""
        if isinstance(target, str):
            self._book.close(target)
        else:
            target.write(self._book.save_to_buffer())

    def _format(self, code: str):
        if code not in self._number_formats:
            self._number_formats[code] = self._book.add_format().set_num_format(code)
        return self._number_formats[code]
