"""The invoice and payment lists' filters: one definition for the web lists and the API's
``GET /invoices`` and ``GET /payments`` (each maps its own parameter names onto these)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

from django.db.models import QuerySet

from ordercrm.accounts.access import Access
from ordercrm.billing import selectors
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from ordercrm.core.filters import ListFilter, choice, date_value, id_value, text_value


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
