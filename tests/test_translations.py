"""The three catalogs are complete, compiled, and use the glossary's words."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "ordercrm" / "locale"
LANGUAGES = ["zh_Hans", "zh_Hant", "en"]
FORBIDDEN = {"zh_Hans": ["股票"], "zh_Hant": ["股票", "库存", "订单"]}


def catalog(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(language):
    problems = [
        message.id
        for message in catalog(language)
        if message.id and (not message.string or message.fuzzy)
    ]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in catalog(language) if m.id}
    assert compiled == source, "run: python scripts/translate.py"


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_no_word_the_glossary_rules_out(language):
    for message in catalog(language):
        for word in FORBIDDEN[language]:
            assert word not in message.string, (message.id, message.string)


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_placeholders_survive_translation(language):
    for message in catalog(language):
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(
                re.findall(r"%\(\w+\)s", message.string)
            ), message.id


GLOSSARY = Path(__file__).resolve().parent / "data" / "glossary.tsv"
# Placeholders name values, not words: %(sku)s, {{ customer.name }}, {% url %}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|\{%.*?%\}")
COLUMN = {"zh_Hans": 1, "zh_Hant": 2}


def glossary_terms(language: str) -> list[tuple[str, str, str]]:
    """(English term, its translation in ``language``, "exact" or "word") from the table."""
    with GLOSSARY.open(encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]
    return [(row[0], row[COLUMN[language]], row[3]) for row in rows if len(row) == 4]


def glossary_misuses(messages, language: str) -> list[tuple[str, str, str]]:
    """(msgid, translation, the glossary's term) for each message that is a glossary term,
    or contains a "word" term, and does not use the glossary's translation."""
    problems = []
    for msgid, string in messages:
        bare = re.sub(r"[\s:：.。?!…]+$", "", msgid.strip()).lower()
        words = PLACEHOLDER.sub(" ", msgid)
        for term, wanted, check in glossary_terms(language):
            if bare == term.lower():
                if re.sub(r"[\s:：.。?!…]+$", "", string) != wanted:
                    problems.append((msgid, string, wanted))
            elif (
                check == "word"
                and re.search(rf"\b{re.escape(term)}s?\b", words, re.I)
                and wanted not in string
            ):
                problems.append((msgid, string, wanted))
    return problems


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_glossary_terms_are_translated_as_the_glossary_says(language):
    messages = [(m.id, m.string) for m in catalog(language) if m.id and isinstance(m.id, str)]
    assert glossary_misuses(messages, language) == []


def test_the_glossary_check_catches_a_wrong_term():
    wrong = [("Credit note", "信用"), ("Shipment", "发货"), ("Open the price list", "打开价格表")]
    right = [("Credit note", "红字发票"), ("Credit notes:", "红字发票："), ("Put on hold", "暂停")]
    assert [msgid for msgid, _s, _w in glossary_misuses(wrong, "zh_Hans")] == [
        "Credit note",
        "Shipment",
        "Open the price list",
    ]
    assert glossary_misuses(right, "zh_Hans") == []


def test_an_untranslated_or_fuzzy_message_fails_the_catalog_check(tmp_path):
    """The catalog check reads what CI reads: an empty or fuzzy entry is reported."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    broken = Catalog(locale="zh_Hans")
    broken.add("Invoice", "发票")
    broken.add("Shipment", "")
    broken.add("Timeline", "时间线", flags=["fuzzy"])
    path = tmp_path / "django.po"
    with path.open("wb") as handle:
        write_po(handle, broken)
    with path.open("rb") as handle:
        read = read_po(handle, locale="zh_Hans")
    assert [m.id for m in read if m.id and (not m.string or m.fuzzy)] == ["Shipment", "Timeline"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (Debian: gettext)")
def test_every_string_in_the_source_is_in_the_catalogs(tmp_path):
    """A new ``_()`` or ``{% translate %}`` that nobody extracted never reaches the catalogs, so
    the completeness checks above cannot see it: extract afresh from a copy of the package (its
    settings point LOCALE_PATHS into the copy, so the real catalogs are never touched) and
    compare the message ids."""
    package = LOCALE.parent
    copy = tmp_path / "ordercrm"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    environment = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "ordercrm.settings",
    }
    subprocess.run(
        [sys.executable, "-m", "ordercrm", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
    )
    with (copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    committed = {message.id for message in catalog("zh_Hans") if message.id}
    assert sorted(map(str, extracted - committed)) == [], (
        "run makemessages and scripts/translate.py (see README)"
    )
