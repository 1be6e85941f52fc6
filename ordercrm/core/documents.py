"""Printable documents: HTML templates rendered to PDF by WeasyPrint, in a given language,
with numbers, money and dates formatted for that language's locale (Babel/CLDR).

The CJK fonts come from the system (Debian ``fonts-noto-cjk``); WeasyPrint embeds the
subset of glyphs each document uses, so the PDF reads the same on any machine.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

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
                "font_family": FONTS.get(language, FONTS["en"]),
                "language": language,
            },
        )


def render_pdf(template_name: str, context: dict, language: str | None) -> bytes:
    """Render ``template_name`` (extending ``documents/base.html``) to PDF bytes."""
    from weasyprint import HTML  # imported late: loading Pango takes a moment

    html = render_html(template_name, context, language)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
