"""Approval reasons in words, with the figures that triggered them.

``sales.approvals`` records each reason as data (the rule's kind and the numbers it looked
at); this turns one into a sentence in the viewer's language, every figure formatted by
Babel as on the rest of the page. A reason of a kind this module does not know reads as
the rule's name, so a new rule never breaks the page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from ordercrm.core.documents import Formatter


def _number(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def reason_text(reason: dict, *, currency: str, base_currency: str, skus: dict) -> str:
    """One reason as a sentence. ``skus`` maps product ids (str) to their codes."""
    fmt = Formatter(translation.get_language())
    kind = reason.get("rule", "")
    name = reason.get("name", "")

    def money(key, cur=base_currency):
        value = _number(reason.get(key))
        return fmt.money(value, cur) if value is not None else ""

    def pct(value):
        value = _number(value)
        return fmt.percent(value) if value is not None else ""

    if kind == "order_total":
        return _(
            "Order total %(total)s is at or above the approval threshold of %(threshold)s."
        ) % {"total": money("total"), "threshold": money("threshold")}
    if kind == "line_discount":
        lines = "; ".join(
            _("line %(position)s: %(discount)s")
            % {"position": row.get("position"), "discount": pct(row.get("discount"))}
            for row in reason.get("lines", [])
        )
        return _("Discount above %(threshold)s (%(lines)s).") % {
            "threshold": pct(reason.get("threshold")),
            "lines": lines,
        }
    if kind == "margin":
        return _("Order margin %(margin)s is below the minimum of %(threshold)s.") % {
            "margin": pct(reason.get("margin")),
            "threshold": pct(reason.get("threshold")),
        }
    if kind == "credit_limit":
        return _("Credit exposure %(exposure)s is over the credit limit %(limit)s by %(over)s.") % {
            "exposure": money("exposure"),
            "limit": money("limit"),
            "over": money("over_by"),
        }
    if kind == "stock_shortfall":
        products = "; ".join(
            _("%(sku)s: %(wanted)s wanted, %(available)s available")
            % {
                "sku": skus.get(str(row.get("product_id")), ""),
                "wanted": fmt.quantity(_number(row.get("wanted")) or Decimal(0)),
                "available": fmt.quantity(_number(row.get("available")) or Decimal(0)),
            }
            for row in reason.get("products", [])
        )
        return _("Not enough stock (%(products)s).") % {"products": products}
    if kind == "overdue_invoices":
        return _(
            "The customer has an invoice %(days)s days overdue (more than %(threshold)s allowed)."
        ) % {"days": reason.get("days_overdue"), "threshold": reason.get("threshold")}
    if kind == "new_customer":
        return _("First order of a new customer (%(customer)s).") % {
            "customer": reason.get("customer", "")
        }
    if kind == "below_price_list":
        lines = "; ".join(
            _("line %(position)s: %(price)s, price list %(list)s")
            % {
                "position": row.get("position"),
                "price": fmt.price(_number(row.get("unit_price")) or Decimal(0), currency),
                "list": fmt.price(_number(row.get("list_price")) or Decimal(0), currency),
            }
            for row in reason.get("lines", [])
        )
        return _("Unit price below the price list (%(lines)s).") % {"lines": lines}
    if kind == "exchange_rate":
        rate = _number(reason.get("rate"))
        table = _number(reason.get("table_rate"))
        if table is None:
            return _(
                "Exchange rate %(rate)s set by hand; the rate table has no rate to compare."
            ) % {"rate": fmt.quantity(rate) if rate is not None else ""}
        return _(
            "Exchange rate %(rate)s set by hand differs by %(deviation)s from the rate "
            "table's %(table)s (tolerance %(tolerance)s)."
        ) % {
            "rate": fmt.quantity(rate) if rate is not None else "",
            "deviation": pct(reason.get("deviation_percent")),
            "table": fmt.quantity(table),
            "tolerance": pct(reason.get("tolerance")),
        }
    return str(name)


def reasons_text(reasons: list, order, lines) -> list[dict]:
    """Each reason of ``order`` as ``{"rule", "name", "text"}`` for a page."""
    skus = {str(line.product_id): line.product.sku for line in lines if line.product_id}
    return [
        {
            "rule": reason.get("rule", ""),
            "name": reason.get("name", ""),
            "text": reason_text(
                reason,
                currency=order.currency,
                base_currency=order.company.base_currency,
                skus=skus,
            ),
        }
        for reason in reasons
    ]
