"""The product and price-list lists' filters: one definition for the web lists and their
CSV/XLSX exports."""

from __future__ import annotations

import dataclasses
import uuid

from django.db.models import QuerySet

from ordercrm.accounts.access import Access
from ordercrm.catalog import selectors
from ordercrm.catalog.models import PriceList, PriceListItem, Product
from ordercrm.core.filters import ListFilter, choice, id_value, text_value

PRODUCT_STATUSES = ("active", "inactive", "all")


@dataclasses.dataclass(frozen=True)
class ProductListFilter(ListFilter):
    """Products by a search (SKU, name, barcode), category (with its direct subcategories)
    and status (``active``, the default, ``inactive`` or ``all``)."""

    search: str = ""
    category_id: uuid.UUID | None = None
    status: str = "active"

    PARSERS = {
        "search": text_value,
        "category_id": id_value,
        "status": choice(PRODUCT_STATUSES),
    }

    def products(self, access: Access) -> QuerySet[Product]:
        """The company's products that pass this filter, by SKU."""
        return selectors.product_list(
            access,
            search=self.search,
            category_id=self.category_id,
            active_only=self.status == "active",
            inactive_only=self.status == "inactive",
        )


@dataclasses.dataclass(frozen=True)
class PriceListFilter(ListFilter):
    """Price lists by id (one list's page) and currency."""

    price_list_id: uuid.UUID | None = None
    currency: str = ""

    PARSERS = {"price_list_id": id_value, "currency": text_value}

    def price_lists(self, access: Access) -> QuerySet[PriceList]:
        """The company's price lists that pass this filter, by currency and name."""
        lists = selectors.price_list_list(access)
        if self.price_list_id:
            lists = lists.filter(pk=self.price_list_id)
        if self.currency:
            lists = lists.filter(currency=self.currency.upper())
        return lists

    def items(self, access: Access) -> QuerySet[PriceListItem]:
        """The prices of those lists, by list, SKU, quantity break and date."""
        return (
            PriceListItem.objects.for_company(access.company)
            .filter(price_list__in=self.price_lists(access).values("pk"))
            .select_related("price_list", "product", "product__unit")
            .order_by(
                "price_list__currency",
                "price_list__name",
                "price_list_id",
                "product__sku",
                "min_quantity",
                "valid_from",
            )
        )
