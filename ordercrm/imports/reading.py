"""Reading an uploaded table: CSV in UTF-8 (with or without a byte-order mark) or in a
Chinese legacy encoding (GBK / GB18030, detected with charset-normalizer), or XLSX.

The result is a ``tablib.Dataset`` (the table type django-import-export works on) whose first
row is the file's header row. Cells of XLSX keep their types (numbers, dates); CSV cells are
text. A file that cannot be read raises :class:`UnreadableFile` with a translated reason.
"""

from __future__ import annotations

import csv
import io

import tablib
from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.spreadsheets import read_xlsx_rows

MAX_ROWS = 200_000
XLSX_MAGIC = b"PK\x03\x04"
TEXT_SUFFIXES = ("csv", "txt", "tsv")
# GBK and GB2312 are subsets of GB18030: decoding with the superset never loses a character.
CHINESE_LEGACY = {"gbk", "gb2312", "gb18030", "cp936", "hz"}


class UnreadableFile(ValidationFailed):
    code = "imports.unreadable_file"
    message = _("This file cannot be read. Upload a CSV or XLSX file.")


class TooManyRows(ValidationFailed):
    code = "imports.too_many_rows"
    message = _("The file has more rows than one import takes. Split it into several files.")


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig`` for UTF-8 (a BOM is dropped), else charset-normalizer's best guess, with
    any GB encoding read as GB18030."""
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        return "gb18030"  # the likeliest legacy encoding of a file made in China
    encoding = best.encoding.lower().replace("_", "")
    return "gb18030" if encoding in CHINESE_LEGACY else best.encoding


def _clean_header(values) -> list[str]:
    return [str(v).strip() if v is not None else "" for v in values]


def read_table(data: bytes, file_name: str = "") -> tuple[tablib.Dataset, str]:
    """The table in ``data`` and the encoding it was read with (``xlsx`` for workbooks).
    Empty lines are dropped; every row is padded to the header's width."""
    suffix = file_name.lower().rpartition(".")[2] if "." in file_name else ""
    if suffix and suffix not in (*TEXT_SUFFIXES, "xlsx"):
        raise UnreadableFile(details={"file": file_name[-100:]})
    if data.startswith(XLSX_MAGIC) or suffix == "xlsx":
        rows, encoding = _xlsx_rows(data), "xlsx"
    elif b"\x00" in data[:65536]:  # a binary file (an image, an old .xls) is no CSV
        raise UnreadableFile()
    else:
        encoding = detect_encoding(data)
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise UnreadableFile() from error
        rows = _csv_rows(text)
    dataset = tablib.Dataset()
    header: list[str] | None = None
    count = 0
    for row in rows:
        if header is None:
            header = _clean_header(row)
            if not any(header):
                header = None
                continue
            dataset.headers = header
            continue
        cells = list(row)[: len(header)]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise TooManyRows(details={"limit": MAX_ROWS})
        cells += [None] * (len(header) - len(cells))
        dataset.append(cells)
    if header is None:
        raise UnreadableFile()
    return dataset, encoding


def _csv_rows(text: str):
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", ",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(data: bytes):
    try:
        return read_xlsx_rows(data)
    except ValueError as error:
        raise UnreadableFile() from error
