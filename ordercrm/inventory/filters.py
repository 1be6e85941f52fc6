"""The stock list's filter: one definition for the web list and its CSV/XLSX export."""

from __future__ import annotations

import dataclasses
import uuid

from django.db.models import QuerySet

from ordercrm.accounts.access import Access
from ordercrm.core.filters import ListFilter, id_value, text_value
from ordercrm.inventory import selectors
from ordercrm.inventory.models import StockLevel


@dataclasses.dataclass(frozen=True)
class StockLevelFilter(ListFilter):
    """Stock levels by warehouse and a search over SKU and product name."""

    search: str = ""
    warehouse_id: uuid.UUID | None = None

    PARSERS = {"search": text_value, "warehouse_id": id_value}

    def levels(self, access: Access) -> QuerySet[StockLevel]:
        """Stock per product and warehouse, by SKU and warehouse sequence."""
        return selectors.stock_levels(access, **self.as_kwargs())
