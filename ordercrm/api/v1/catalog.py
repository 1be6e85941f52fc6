"""API v1: products, price lists and the company's exchange rates."""

from __future__ import annotations

from ninja import Router, Status

from ordercrm.api.base import page
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import with_errors
from ordercrm.catalog.selectors import (
    exchange_rate_list,
    price_list_list,
    product_get,
    product_list,
)
from ordercrm.catalog.services import exchange_rate_set
from ordercrm.core.ids import parse_id

router = Router()


@router.get("/products", response=with_errors({200: s.ProductPage}), tags=["catalog"])
def products_list(request, search: str = "", limit: int = 50, cursor: str | None = None):
    return page(product_list(request.access, search=search), limit, cursor)


@router.get("/products/{product_id}", response=with_errors({200: s.ProductOut}), tags=["catalog"])
def products_get(request, product_id: str):
    return product_get(request.access, parse_id(product_id))


@router.get("/price-lists", response=with_errors({200: list[s.PriceListOut]}), tags=["catalog"])
def price_lists(request):
    return list(price_list_list(request.access))


# ---------------------------------------------------------------- exchange rates (slice: money)


@router.get(
    "/exchange-rates", response=with_errors({200: s.ExchangeRatePage}), tags=["exchange rates"]
)
def exchange_rates_list(request, currency: str = "", limit: int = 50, cursor: str | None = None):
    """The company rate table (finance): newest first; ``currency`` narrows it to one."""
    return page(exchange_rate_list(request.access, currency=currency), limit, cursor)


@router.post(
    "/exchange-rates", response=with_errors({201: s.ExchangeRateOut}), tags=["exchange rates"]
)
def exchange_rates_create(request, body: s.ExchangeRateIn):
    """Set the rate of a currency from a date on (finance); the same date again replaces it."""
    rate = exchange_rate_set(
        company=request.company,
        actor=request.user,
        currency=body.currency,
        date=body.date,
        rate=body.rate,
    )
    return Status(201, rate)
