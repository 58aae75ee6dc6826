"""The ledger's workbook (services.ledger_book.Book) written by other libraries, to compare them.

Each class does what Book and Sheet do (a bold, filled, centred header row, frozen; column widths;
number formats; auto filters) as well as its library allows, used the fastest way its library
offers. Not project code: XlsxWriter, PyExcelerate and rustpy-xlsxwriter are installed only to run
bench/ledger_export.py (`pip install xlsxwriter pyexcelerate rustpy-xlsxwriter`).
"""
from __future__ import annotations

import io

from services.ledger_book import HEADER_FILL
from services.ledger_book import Book as RvgsBook


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Sheet:
    """What every sheet keeps: its columns, formats and how many rows it has."""

    def __init__(self, columns, column_formats, cell_formats):
        self.columns = columns
        self.column_formats = column_formats or {}
        self.cell_formats = cell_formats or {}
        self.rows = 0
        self.filtered = None

    def filter(self, rows: int) -> None:
        self.filtered = rows


def _held_sheet(sheets: list, title, columns, column_formats, cell_formats) -> _Sheet:
    """A sheet whose rows wait in a list (header first) until the workbook is saved."""
    sheet = _Sheet(columns, column_formats, cell_formats)
    sheet.title, sheet.data = title, [[t for t, _w in columns]]

    def extend(rows):
        sheet.data.extend(rows)
        sheet.rows += len(rows)

    def append(row):
        sheet.data.append(row)
        sheet.rows += 1

    sheet.extend, sheet.append = extend, append
    sheets.append(sheet)
    return sheet


class NullBook:
    """Drops the rows: what remains is the query and making the cells."""

    class Sheet(_Sheet):
        def extend(self, rows):
            self.rows += len(rows)

        def append(self, row):
            self.rows += 1

    def sheet(self, title, columns, *, column_formats=None, cell_formats=None):
        return self.Sheet(columns, column_formats, cell_formats)

    def save(self, target):
        pass


class OpenpyxlBook:
    """openpyxl in write-only mode (with lxml): one WriteOnlyCell for each formatted cell."""

    def __init__(self):
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)

    class Sheet(_Sheet):
        def __init__(self, book, title, columns, column_formats, cell_formats):
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Alignment, Font, PatternFill
            from openpyxl.utils import get_column_letter

            super().__init__(columns, column_formats, cell_formats)
            self.ws = book.create_sheet(title)
            self.letter, self.cell = get_column_letter, WriteOnlyCell
            for index, (_title, width) in enumerate(columns, start=1):
                self.ws.column_dimensions[get_column_letter(index)].width = width
            self.ws.freeze_panes = "A2"
            bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL[1:])
            header = []
            for title, _width in columns:
                cell = WriteOnlyCell(self.ws, title)
                cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
                header.append(cell)
            self.ws.append(header)

        def _formatted(self, value, code):
            cell = self.cell(self.ws, value)
            cell.number_format = code
            return cell

        def extend(self, rows):
            for row in rows:
                for col, code in self.column_formats.items():
                    if row[col] is not None:
                        row[col] = self._formatted(row[col], code)
                self.ws.append(row)
            self.rows += len(rows)

        def append(self, row):
            self.ws.append([self._formatted(v, self.cell_formats[c]) if c in self.cell_formats and _is_number(v)
                            else v for c, v in enumerate(row)])
            self.rows += 1

        def filter(self, rows):
            self.ws.auto_filter.ref = f"A1:{self.letter(len(self.columns))}{rows + 1}"

    def sheet(self, title, columns, *, column_formats=None, cell_formats=None):
        return self.Sheet(self.book, title, columns, column_formats, cell_formats)

    def save(self, target):
        self.book.save(target)


class XlsxWriterBook:
    """XlsxWriter with constant_memory: write_row, then each formatted cell again with its format."""

    def __init__(self):
        import xlsxwriter

        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"constant_memory": True, "strings_to_formulas": False,
                                                      "strings_to_urls": False})
        self.header = self.book.add_format({"bold": True, "bg_color": HEADER_FILL, "pattern": 1, "align": "center"})
        self.formats = {}

    def format(self, code):
        if code not in self.formats:
            self.formats[code] = self.book.add_format({"num_format": code})
        return self.formats[code]

    class Sheet(_Sheet):
        def __init__(self, owner, title, columns, column_formats, cell_formats):
            super().__init__(columns, column_formats, cell_formats)
            self.ws = owner.book.add_worksheet(title)
            self.fmt = {c: owner.format(code) for c, code in {**self.column_formats, **self.cell_formats}.items()}
            for col, (_title, width) in enumerate(columns):
                self.ws.set_column(col, col, width)
            self.ws.freeze_panes(1, 0)
            self.ws.write_row(0, 0, [title for title, _width in columns], owner.header)

        def extend(self, rows):
            write_row, write_number, fmt = self.ws.write_row, self.ws.write_number, self.fmt
            for row in rows:
                self.rows += 1
                write_row(self.rows, 0, row)
                for col in self.column_formats:
                    if row[col] is not None:
                        write_number(self.rows, col, row[col], fmt[col])

        def append(self, row):
            self.rows += 1
            for col, value in enumerate(row):
                self.ws.write(self.rows, col, value, self.fmt.get(col) if _is_number(value) else None)

        def filter(self, rows):
            self.ws.autofilter(0, 0, rows, len(self.columns) - 1)

    def sheet(self, title, columns, *, column_formats=None, cell_formats=None):
        return self.Sheet(self, title, columns, column_formats, cell_formats)

    def save(self, target):
        self.book.close()
        _deliver(self.buffer.getvalue(), target)


class PyExcelerateBook:
    """PyExcelerate: it writes a whole sheet from rows it holds in memory, so the rows wait in a list."""

    def __init__(self):
        from pyexcelerate import Workbook

        self.book = Workbook()
        self.sheets = []

    def sheet(self, title, columns, *, column_formats=None, cell_formats=None):
        return _held_sheet(self.sheets, title, columns, column_formats, cell_formats)

    def save(self, target):
        from pyexcelerate import Alignment, Color, Fill, Font, Format, Panes, Style

        fill = Color(*(int(HEADER_FILL[i:i + 2], 16) for i in (1, 3, 5)))
        header = Style(font=Font(bold=True), fill=Fill(background=fill), alignment=Alignment(horizontal="center"))
        for sheet in self.sheets:
            ws = self.book.new_sheet(sheet.title, data=sheet.data)
            ws.panes = Panes(0, 1)
            ws.auto_filter = sheet.filtered is not None  # PyExcelerate filters every row it has
            for col, (_title, width) in enumerate(sheet.columns, start=1):
                code = sheet.column_formats.get(col - 1)
                ws.set_col_style(col, Style(size=width, format=Format(code)) if code else Style(size=width))
            ws.set_row_style(1, header)
            for col, code in sheet.cell_formats.items():
                for row, values in enumerate(sheet.data[1:], start=2):
                    if _is_number(values[col]):
                        ws.set_cell_style(row, col + 1, Style(format=Format(code)))
        buffer = io.BytesIO()
        self.book.save(buffer)
        _deliver(buffer.getvalue(), target)


class RustpyBook:
    """rustpy-xlsxwriter: one call writes every sheet from records (dicts), so the rows wait in a list."""

    def __init__(self):
        self.sheets = []

    def sheet(self, title, columns, *, column_formats=None, cell_formats=None):
        return _held_sheet(self.sheets, title, columns, column_formats, cell_formats)

    def save(self, target):
        import rustpy_xlsxwriter as rx

        header = rx.Format().set_bold().set_background_color(HEADER_FILL).set_align("center")
        entries, widths, formats, filters = [], {}, {}, {}
        for sheet in self.sheets:
            names = [t for t, _w in sheet.columns]
            entries.append((sheet.title, [dict(zip(names, row)) for row in sheet.data[1:]]))
            widths[sheet.title] = [w for _t, w in sheet.columns]
            # Column formats only: a dash in a rate column gets the percent format too.
            formats[sheet.title] = {names[c]: rx.Format().set_num_format(code)
                                    for c, code in {**sheet.column_formats, **sheet.cell_formats}.items()}
            filters[sheet.title] = sheet.filtered is not None  # it filters every row it wrote
        buffer = io.BytesIO()
        rx.write_worksheets(entries, buffer, freeze_panes={"general": {"row": 1, "col": 0}}, column_widths=widths,
                            column_formats=formats, header_format={"general": header}, autofilter=filters)
        _deliver(buffer.getvalue(), target)


def _deliver(data: bytes, target) -> None:
    if isinstance(target, str):
        with open(target, "wb") as f:
            f.write(data)
    else:
        target.write(data)


WRITERS = {
    "rvgsrust": RvgsBook,
    "rustpy": RustpyBook,
    "pyexcelerate": PyExcelerateBook,
    "xlsxwriter": XlsxWriterBook,
    "openpyxl": OpenpyxlBook,
    "none": NullBook,
}
