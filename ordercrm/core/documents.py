"""Printable documents: HTML templates rendered to PDF by WeasyPrint, in a given language,
with numbers, money and dates formatted for that language's locale (Babel/CLDR).

The CJK fonts come from the system (Debian ``fonts-noto-cjk``), cut down once per machine to
the characters documents use (``core.document_fonts``); WeasyPrint embeds the subset of
glyphs each document uses, so the PDF reads the same on any machine. The font set-up and the
parsed stylesheet are made once per process and thread (``Typesetter``), not per document.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import threading
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

# Django language code → CLDR locale used for formatting.
LOCALES = {"en": "en_US", "zh-hans": "zh_Hans_CN", "zh-hant": "zh_Hant_TW"}
# The first font in the list renders Han characters in the form readers of that script expect.
FONTS = {
    "zh-hans": '"Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif',
    "zh-hant": '"Noto Sans CJK TC", "Noto Sans CJK SC", sans-serif',
    "en": '"Noto Sans", "Noto Sans CJK SC", sans-serif',
}


def document_language(language: str | None) -> str:
    """A supported language code (a customer's may be empty or unknown): else the default."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = (language or "").lower()
    return language if language in codes else settings.LANGUAGE_CODE


def pdf_response(pdf: bytes, name) -> HttpResponse:
    """A document as the browser shows it (inline) and saves it (``name``.pdf): the one
    response shape of every PDF download, web page or API alike."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


class Formatter:
    """Locale-aware formatting for one document; templates call it through ``fmt``."""

    def __init__(self, language: str):
        self.language = document_language(language)
        self.locale = LOCALES.get(self.language, "en_US")

    def money(self, amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=self.locale)

    def compact_money(self, amount, currency: str) -> str:
        """An amount for a chart's axis: ``¥200K`` / ``¥20万``."""
        from babel.numbers import format_compact_currency

        return format_compact_currency(amount, currency, locale=self.locale, fraction_digits=1)

    def amount(self, amount: Decimal, currency: str) -> str:
        """An amount in a column whose heading names the currency: separators and the
        currency's precision, no symbol (``1,234.50``; ``1,235`` for JPY)."""
        from ordercrm.core.money import currency_decimals

        places = currency_decimals(currency)
        pattern = "#,##0." + "0" * places if places else "#,##0"
        return format_decimal(amount, format=pattern, locale=self.locale)

    def price(self, value: Decimal, currency: str) -> str:
        """A unit price: at least the currency's precision, up to four places when the price
        has them (``1,280.00``, ``28.60``, ``0.0125``)."""
        from ordercrm.core.money import currency_decimals

        places = currency_decimals(currency)
        pattern = "#,##0." + "0" * places + "#" * max(0, 4 - places)
        return format_decimal(value, format=pattern, locale=self.locale)

    def quantity(self, value: Decimal) -> str:
        # Drop trailing zeros (2.0000 → 2) but keep significant decimals (2.5).
        normalized = value.normalize() if value == value.to_integral() else value
        return format_decimal(normalized, format="#,##0.####", locale=self.locale)

    def date(self, value: datetime.date | datetime.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            value = value.date()
        return babel_format_date(value, format="long", locale=self.locale)

    def moment(self, value: datetime.datetime | None) -> str:
        """A point in time, in the current time zone, to the minute."""
        if value is None:
            return ""
        from babel.dates import format_time
        from django.utils import timezone

        if timezone.is_aware(value):
            value = timezone.localtime(value)
        day = babel_format_date(value.date(), format="medium", locale=self.locale)
        return f"{day} {format_time(value, 'HH:mm', locale=self.locale)}"

    def month_short(self, value: datetime.date) -> str:
        """A month's short name alone (``Jul`` / ``7月``)."""
        from babel.dates import format_skeleton

        return format_skeleton("MMM", value, locale=self.locale)

    def month(self, value: datetime.date) -> str:
        """A month and year in the locale's short form, e.g. ``Nov 2026`` / ``2026年11月``."""
        from babel.dates import format_skeleton

        return format_skeleton("yMMM", value, locale=self.locale)

    def percent(self, value: Decimal) -> str:
        return format_decimal(value, format="#,##0.##", locale=self.locale) + "%"


def render_html(template_name: str, context: dict, language: str | None) -> str:
    language = document_language(language)
    with translation.override(language):
        return render_to_string(
            template_name,
            {
                **context,
                "fmt": Formatter(language),
                "language": language,
            },
        )


STYLESHEET = Path(__file__).parent / "templates" / "documents" / "document.css"
# The cut-down faces (core.document_fonts) go before the system faces they come from; a
# character they lack falls through to the full face.
COMMON_FAMILIES = {
    "zh-hans": ("SC", "TC"),
    "zh-hant": ("TC", "SC"),
    "en": ("SC",),
}


class Typesetter:
    """What every document of a process shares: one fontconfig set-up (with the cut-down
    CJK faces registered once) and the parsed stylesheets per language. Holds no document
    content: the HTML of each document is parsed and laid out on its own.

    One per thread (``typesetter()``): Pango and fontconfig objects are not shared across
    threads."""

    def __init__(self, common_fonts: bool = True):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from ordercrm.core import document_fonts

        self.font_config = FontConfiguration()
        faces = document_fonts.faces() if common_fonts else []
        font_faces = "".join(
            f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
            f'src: url("{face.path.as_uri()}"); }}\n'
            for face in faces
        )
        available = {face.family for face in faces}
        base = STYLESHEET.read_text(encoding="utf-8")
        self.stylesheets = {}
        for language, system in FONTS.items():
            common = [
                f'"{family}"'
                for script in COMMON_FAMILIES.get(language, ())
                if (family := document_fonts.family_name(script)) in available
            ]
            family = ", ".join([*common, system]) if common else system
            self.stylesheets[language] = [
                CSS(
                    string=font_faces
                    + base
                    + f"body {{ font-family: {family}; }}\n"
                    + f"@page {{ @bottom-right {{ font-family: {family}; }} }}\n",
                    font_config=self.font_config,
                )
            ]

    def write_pdf(self, html: str, language: str) -> bytes:
        from weasyprint import HTML

        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            stylesheets=self.stylesheets.get(language, self.stylesheets["en"]),
            font_config=self.font_config,
        )


_local = threading.local()


@atexit.register
def _drop_typesetter() -> None:
    # Freed before the interpreter tears down the modules its __del__ needs.
    _local.__dict__.pop("typesetter", None)


def typesetter() -> Typesetter:
    """This thread's typesetter, made on first use (the cold document pays for it)."""
    current = getattr(_local, "typesetter", None)
    if current is None:
        current = _local.typesetter = Typesetter()
    return current


def render_pdf(template_name: str, context: dict, language: str | None) -> bytes:
    """Render ``template_name`` (extending ``documents/base.html``) to PDF bytes."""
    language = document_language(language)
    html = render_html(template_name, context, language)
    if getattr(_local, "uncached", False):
        return Typesetter(common_fonts=False).write_pdf(html, language)
    return typesetter().write_pdf(html, language)


@contextlib.contextmanager
def uncached():
    """Within it, this thread renders documents the way they were made before the
    typesetter: a new font set-up, stylesheet parse and the full system CJK faces per
    document. The baseline ``bench/documents.py`` measures against; tests compare the two."""
    _local.uncached = True
    try:
        yield
    finally:
        _local.uncached = False
