"""Fill the zh-Hans, zh-Hant and en catalogs from ``scripts/translations.tsv`` and
``scripts/translations.d/*.tsv``.

Run after ``ordercrm makemessages``: ``python scripts/translate.py``. The TSV (msgid, zh-Hans,
zh-Hant; escaped newlines as ``\\n``) is the reviewed source of the Chinese wording and follows
``GLOSSARY.md``. The en catalog copies each msgid. Messages without a row stay untranslated,
which the test suite reports.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "ordercrm" / "locale"
COLUMNS = {"zh_Hans": 1, "zh_Hant": 2}


def translation_files() -> list[Path]:
    """The main table, then ``scripts/translations.d/*.tsv`` (one per area, so that parallel
    work appends to different files), in name order; a later row for the same msgid wins."""
    scripts = ROOT / "scripts"
    return [scripts / "translations.tsv", *sorted((scripts / "translations.d").glob("*.tsv"))]


def load_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for path in translation_files():
        with path.open(encoding="utf-8") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if not row or row[0].startswith("#"):
                    continue
                msgid = row[0].replace("\\n", "\n")
                rows[msgid] = (row[1].replace("\\n", "\n"), row[2].replace("\\n", "\n"))
    return rows


def main() -> int:
    rows = load_rows()
    missing = 0
    for language in ("zh_Hans", "zh_Hant", "en"):
        po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id:
                continue
            message.flags.discard("fuzzy")
            if language == "en":
                message.string = message.id
            elif message.id in rows:
                message.string = rows[message.id][COLUMNS[language] - 1]
            else:
                missing += 1
                print(f"{language}: no translation for {message.id!r}", file=sys.stderr)
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
