"""The order as a document: a quotation while it is a draft or waiting, an order
confirmation once confirmed. In the customer's language unless another is asked for."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access
from ordercrm.core.documents import Formatter, document_language, render_pdf
from ordercrm.sales import selectors, workflow
from ordercrm.sales.models import LineKind


def order_pdf(access: Access, order_id, language: str | None = None) -> bytes:
    """The document of an order the caller may see."""
    return render_order_pdf(selectors.order_get(access, order_id), language)


def render_order_pdf(order, language: str | None = None) -> bytes:
    """The document of ``order`` (no access check: for the system, e.g. emails)."""
    customer = order.customer
    language = document_language(language or customer.language)
    fmt = Formatter(language)

    def money(amount):
        return fmt.money(amount, order.currency)

    rows, number = [], 0
    lines = selectors.order_lines(order)
    # With an order discount the lines show their amounts before it and the totals show it
    # taken off (sales.calculations.order_discount); the stored line amounts are after it.
    discount = selectors.order_discount_of(order, lines)
    for line in lines:
        if line.kind == LineKind.PRODUCT:
            number += 1
        rows.append(
            {
                "kind": line.kind,
                "number": number,
                "sku": line.product.sku if line.product else "",
                "description": line.description or (line.product.name if line.product else ""),
                "quantity": fmt.quantity(line.quantity),
                "unit": line.unit.label(fmt.language) if line.unit else "",
                "unit_price": money(line.unit_price),
                "discount": fmt.percent(line.discount_percent) if line.discount_percent else "",
                "tax_rate": fmt.percent(line.tax_percent),
                "net": money(
                    selectors.line_amount_before_discount(order, line) if discount else line.net
                ),
            }
        )
    from django.utils import translation

    with translation.override(language):
        title = _("Quotation") if order.status in workflow.QUOTATION else _("Order confirmation")
    return render_pdf(
        "sales/order.html",
        {
            "title": title,
            "company": order.company,
            "order": order,
            "customer": customer,
            "rows": rows,
            "order_date": fmt.date(order.order_date),
            # a quotation's validity; an order confirmation has none
            "valid_until": fmt.date(order.valid_until)
            if order.status in workflow.QUOTATION
            else "",
            "requested_date": fmt.date(order.requested_date),
            "order_discount": fmt.percent(order.discount_percent) if discount else "",
            "before_discount": money(discount.before) if discount else "",
            "discount_amount": money(-discount.amount) if discount else "",
            "prices_include_tax": order.company.prices_include_tax,
            "net_total": money(order.net_total),
            "tax_total": money(order.tax_total),
            "gross_total": money(order.gross_total),
        },
        language,
    )
