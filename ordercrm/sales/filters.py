"""The order list's filter: one definition for the web list, its CSV/XLSX export and the
API's ``GET /orders`` (each maps its own parameter names onto these fields)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

from django.db.models import QuerySet

from ordercrm.accounts.access import Access
from ordercrm.core.filters import ListFilter, choice, date_value, id_value, text_value
from ordercrm.sales import selectors
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status


@dataclasses.dataclass(frozen=True)
class OrderListFilter(ListFilter):
    """Orders by status, progress on each axis, customer, salesperson, order-date range
    (inclusive) and a search over number, customer name and PO reference."""

    search: str = ""
    status: str | None = None
    fulfilment: str | None = None
    invoicing: str | None = None
    payment: str | None = None
    customer_id: uuid.UUID | None = None
    salesperson_id: uuid.UUID | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    PARSERS = {
        "search": text_value,
        "status": choice(Status.values),
        **{axis: choice(values) for axis, values in selectors.PROGRESS_VALUES.items()},
        "customer_id": id_value,
        "salesperson_id": id_value,
        "date_from": date_value,
        "date_to": date_value,
    }

    def orders(self, access: Access) -> QuerySet[SalesOrder]:
        """The orders ``access`` may see that pass this filter, newest first."""
        return selectors.order_list(access, **self.as_kwargs())
