"""The three catalogs are complete, compiled, and use the glossary's words."""

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
    import re

    for message in catalog(language):
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(
                re.findall(r"%\(\w+\)s", message.string)
            ), message.id
