from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}`` — a dict lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def sum_of(values):
    """``{{ amounts|sum_of }}`` — the sum of a list of Decimals (0 for an empty list)."""
    return sum(values or [], 0)


# Numbers, money and dates on pages go through the same Babel formatter as the documents,
# in the viewer's language (the active translation), so a page and its PDF agree.
def _formatter():
    from django.utils import translation

    from ordercrm.core.documents import Formatter

    return Formatter(translation.get_language())


def _blank(value) -> bool:
    return value is None or value == ""


@register.filter
def money(value, currency):
    """``{{ order.gross_total|money:order.currency }}`` → ``CN¥1,234.50`` / ``US$12.00``."""
    return "" if _blank(value) else _formatter().money(value, currency)


@register.filter
def amount(value, currency):
    """An amount under a heading that names the currency: ``1,234.50``."""
    return "" if _blank(value) else _formatter().amount(value, currency)


@register.filter
def price(value, currency):
    """A unit price: the currency's precision, up to four places (``1,280.00``, ``0.0125``)."""
    return "" if _blank(value) else _formatter().price(value, currency)


@register.filter
def qty(value):
    """A quantity without trailing zeros (``2``, ``2.5``, ``1,000``)."""
    if _blank(value):
        return ""
    # plain decimal strings and integers too (a warning's figures are strings, for the API)
    return _formatter().quantity(value if isinstance(value, Decimal) else Decimal(value))


@register.filter
def kit_qty(kits, per_kit):
    """A kit line's quantity in one component's units (``sales.kits.scaled``)."""
    from ordercrm.sales.kits import scaled

    if _blank(kits) or _blank(per_kit):
        return ""
    return scaled(Decimal(kits), Decimal(per_kit))


@register.filter
def plain(value):
    """A decimal as a form field's value: no locale, no trailing zeros (``7.1``)."""
    from ordercrm.core.money import plain as plain_text

    return "" if _blank(value) else plain_text(Decimal(value))


@register.filter
def day(value):
    """A date in the viewer's locale (``December 2, 2026`` / ``2026年12月2日``)."""
    return "" if _blank(value) else _formatter().date(value)


@register.filter
def moment(value):
    """A time to the minute in the viewer's locale (``Dec 2, 2026, 14:05``)."""
    return "" if _blank(value) else _formatter().moment(value)


@register.filter
def pct(value):
    """A percentage (``12.5%``)."""
    return "" if _blank(value) else _formatter().percent(value)


@register.filter
def month(value):
    """A month and year (``Nov 2026`` / ``2026年11月``)."""
    return "" if _blank(value) else _formatter().month(value)
