"""The customer list's filter: one definition for the web list and its CSV/XLSX export."""

from __future__ import annotations

import dataclasses

from django.db.models import QuerySet

from ordercrm.accounts.access import Access
from ordercrm.core.filters import ListFilter, choice, text_value
from ordercrm.customers import selectors
from ordercrm.customers.models import Customer


@dataclasses.dataclass(frozen=True)
class CustomerListFilter(ListFilter):
    """Customers by a search (code, name, tax ID, phone, contact) and status (``active``,
    the default, ``inactive`` or ``all``)."""

    search: str = ""
    status: str = "active"

    PARSERS = {"search": text_value, "status": choice(selectors.CUSTOMER_STATUSES)}

    def customers(self, access: Access) -> QuerySet[Customer]:
        """The customers ``access`` may see that pass this filter, by code."""
        return selectors.customer_list(access, **self.as_kwargs())
