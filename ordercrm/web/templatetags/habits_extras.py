"""Filters of the habits and demand pages: forecast figures are floats (statsmodels), shown
through the same Babel formatter as every other figure (``web_extras``)."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext_lazy as _

from ordercrm.web.templatetags.web_extras import _formatter

register = template.Library()

METHODS = {
    "average": _("mean of the last three months"),
    "ses": _("exponential smoothing"),
    "trend": _("exponential smoothing with a damped trend"),
    "seasonal": _("exponential smoothing with trend and yearly season"),
}


@register.filter
def whole(value):
    """A forecast quantity rounded to a whole unit (``1,234``)."""
    if value is None or value == "":
        return ""
    return _formatter().quantity(Decimal(round(float(value))))


@register.filter
def total(values):
    return sum(values or [], 0.0)


@register.filter
def share(value):
    """A fraction as a whole percentage (0.183 → ``18%``)."""
    if value is None or value == "":
        return ""
    return _formatter().percent(Decimal(round(float(value) * 100)))


@register.filter
def forecast_method(value):
    return METHODS.get(value, value)


@register.filter
def pct_whole(value):
    """A percentage already in percent, rounded to a whole one (``67%``)."""
    if value is None or value == "":
        return ""
    return _formatter().percent(Decimal(round(float(value))))


@register.filter
def whole_money(value, currency):
    """A model's money estimate, to the whole unit (``CN¥49,574``): its cents mean nothing."""
    if value is None or value == "":
        return ""
    from babel.numbers import format_currency

    formatter = _formatter()
    return format_currency(
        Decimal(round(float(value))),
        currency,
        locale=formatter.locale,
        format="¤#,##0",
        currency_digits=False,
    )
