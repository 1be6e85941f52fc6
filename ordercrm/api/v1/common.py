"""What the v1 area modules share: the error responses every route declares, value parsers
for query and body fields, and the scoped look-ups of the objects routes act on.

Look-ups go through the domain's selectors (or its managers' ``for_company``), so a record
the caller may not see answers 404 exactly as it does in the web.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.utils.translation import gettext as _

from ordercrm.api.base import Loaded
from ordercrm.api.v1 import schemas as s
from ordercrm.billing.selectors import invoice_get, invoice_lines, payment_get
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.money import to_decimal
from ordercrm.inventory.models import Warehouse
from ordercrm.sales.selectors import order_detail, order_get

ERRORS = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    412: s.ErrorOut,  # If-Match names a stale version
    422: s.ErrorOut,
    429: s.ErrorOut,  # rate limited; Retry-After says when to come back
}

# A document's language: one of settings.LANGUAGES (anything else is a 422, not ignored).
Language = Literal["en", "zh-hans", "zh-hant"]


def with_errors(ok: dict) -> dict:
    """A route's ``response=``: its success schemas and every error it may answer."""
    return {**ok, **ERRORS}


def parse_date(value: str | None, field: str) -> datetime.date | None:
    """An ISO date (``YYYY-MM-DD``), or None when empty; anything else is a 422 on ``field``."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(details={"fields": {field: ["YYYY-MM-DD"]}}) from None


def parse_decimal(value, field: str):
    """A decimal, or None when empty; anything else is a 422 on ``field``."""
    if value in (None, ""):
        return None
    try:
        return to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(details={"fields": {field: [_("Enter a number.")]}}) from None


def warehouse_of(request, warehouse_id):
    """The company's warehouse with this id, or 404 naming it."""
    warehouse = (
        Warehouse.objects.for_company(request.company).filter(pk=parse_id(warehouse_id)).first()
    )
    if warehouse is None:
        raise NotFound(details={"warehouse_id": warehouse_id})
    return warehouse


def payment_term_of(request, term_id):
    """The company's payment term with this id, or 404 naming it."""
    from ordercrm.customers.selectors import payment_term_list

    term = payment_term_list(request.company).filter(pk=parse_id(term_id)).first()
    if term is None:
        raise NotFound(details={"payment_terms_id": str(term_id)})
    return term


def order_of(request, order_id):
    """The order, if the caller may see it (404 otherwise)."""
    return order_get(request.access, order_id)


def order_out(order, response=None):
    """The order with its lines, progress and approval steps, for ``OrderOut``; with
    ``response``, its version goes into the ETag header too."""
    if response is not None:
        response["ETag"] = f'"{order.version}"'
    return order_detail(order)


def invoice_of(request, invoice_id):
    """The invoice or credit note, if the caller may see it (404 otherwise)."""
    return invoice_get(request.access, invoice_id)


def invoice_out(invoice):
    """The invoice with its lines, allocations and instalments, for ``InvoiceOut``."""
    from ordercrm.billing.selectors import invoice_allocations, invoice_instalments

    return Loaded(
        invoice,
        loaded_lines=invoice_lines(invoice),
        loaded_allocations=list(invoice_allocations(invoice).select_related("invoice")),
        loaded_instalments=invoice_instalments(invoice),
    )


def payment_out(request, payment):
    """The payment as the caller may see it, with its allocations, for ``PaymentOut``."""
    from ordercrm.billing.selectors import payment_detail

    visible = payment_of(request, payment.pk)
    allocations = payment_detail(request.access, visible)["allocations"]
    for allocation in allocations:
        allocation.payment = visible
    return Loaded(visible, loaded_allocations=allocations)


def payment_of(request, payment_id):
    """The payment, if the caller may see it (404 otherwise)."""
    return payment_get(request.access, payment_id)
