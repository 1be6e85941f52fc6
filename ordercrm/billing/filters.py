"""The invoice, payment and exchange-difference lists' filters: one definition for the web
lists, their exports and the API's ``GET /invoices`` and ``GET /payments`` (each maps its own
parameter names onto these)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access
from ordercrm.billing import selectors
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentAllocation
from ordercrm.core.filters import (
    FilterValueError,
    ListFilter,
    choice,
    date_value,
    id_value,
    text_value,
)


@dataclasses.dataclass(frozen=True)
class InvoiceListFilter(ListFilter):
    """Invoices and credit notes by status, kind, customer and a search over number,
    customer name and order number."""

    search: str = ""
    status: str = ""
    kind: str = ""
    customer_id: uuid.UUID | None = None

    PARSERS = {
        "search": text_value,
        "status": choice(InvoiceStatus.values),
        "kind": choice(InvoiceKind.values, status=False),
        "customer_id": id_value,
    }

    def invoices(self, access: Access) -> QuerySet[Invoice]:
        """The invoices ``access`` may see that pass this filter, newest first."""
        return selectors.invoice_list(access, **self.as_kwargs())


@dataclasses.dataclass(frozen=True)
class PaymentListFilter(ListFilter):
    """Payments by customer and payment-date range (inclusive)."""

    customer_id: uuid.UUID | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    PARSERS = {"customer_id": id_value, "date_from": date_value, "date_to": date_value}

    def payments(self, access: Access) -> QuerySet[Payment]:
        """The payments ``access`` may see that pass this filter, newest first."""
        return selectors.payment_list(
            access, customer_id=self.customer_id, start=self.date_from, end=self.date_to
        )


def currency_value(text: str) -> str:
    """An ISO currency code (``usd`` reads as ``USD``), else a refusal."""
    code = text.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise FilterValueError(_("Enter a three-letter currency code, such as USD."), "XXX")
    return code


@dataclasses.dataclass(frozen=True)
class ExchangeDifferenceFilter(ListFilter):
    """Realised exchange differences by day range (inclusive, company days), payment
    currency, customer and a search over invoice and payment numbers and the customer."""

    search: str = ""
    currency: str = ""
    customer_id: uuid.UUID | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    PARSERS = {
        "search": text_value,
        "currency": currency_value,
        "customer_id": id_value,
        "date_from": date_value,
        "date_to": date_value,
    }

    def differences(self, access: Access) -> QuerySet[PaymentAllocation]:
        """The exchange differences ``access`` may see that pass this filter, newest first
        (finance's: ``core.permission_denied`` for others)."""
        return selectors.exchange_difference_list(access, **self.as_kwargs())
