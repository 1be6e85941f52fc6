"""Which unit price applies: ``price_for`` and its batch form ``prices_for``.

Rule, in order:
1. the customer's own price list, if it is in the requested currency, active and valid on the date;
2. the company's default price list for that currency, if active and valid on the date;
3. the product's list price, when the currency is the company's base currency.
Within a list the tier with the highest ``min_quantity`` not above the quantity wins, among
items valid on the date (a dated item beats an undated one at the same tier). A list without
an item for the product may price it by a **rule** (``PriceRule``: list price or cost plus a
markup, rounded): the most specific active rule valid on the date wins — one naming the
product, then one naming its category, then one for all products — and among those the
highest ``min_quantity`` not above the quantity, a dated rule before an undated one. A rule
prices from the product's list price or cost, which are in the company's base currency, so it
applies only in a list of that currency. An explicit price beats a rule in the same list
because someone set it for this product on purpose. Nothing found raises ``catalog.no_price``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ordercrm.catalog.models import (
    PriceBase,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    TaxMappingRule,
    TaxRate,
)
from ordercrm.core.exceptions import DomainError
from ordercrm.core.money import PRICE_FIELD, round_to


class NoPrice(DomainError):
    code = "catalog.no_price"
    message = _("No price is defined for %(sku)s in %(currency)s.")


@dataclass(frozen=True)
class PriceQuote:
    unit_price: Decimal
    currency: str
    source: str  # "customer_price_list" | "price_list" | "list_price"
    price_list_id: UUID | None = None
    min_quantity: Decimal = Decimal("0")
    rule_id: UUID | None = None  # the price rule that computed it, if one did


def _valid_on(price_list: PriceList, on_date: datetime.date) -> bool:
    return (
        price_list.is_active
        and (price_list.valid_from is None or price_list.valid_from <= on_date)
        and (price_list.valid_to is None or on_date <= price_list.valid_to)
    )


def _applicable_lists(company, customer, currency: str, on_date) -> list[tuple[PriceList, str]]:
    lists: list[tuple[PriceList, str]] = []
    customer_list = getattr(customer, "price_list", None) if customer is not None else None
    if (
        customer_list is not None
        and customer_list.currency == currency
        and _valid_on(customer_list, on_date)
    ):
        lists.append((customer_list, "customer_price_list"))
    default = (
        PriceList.objects.for_company(company)
        .filter(currency=currency, is_default=True, is_active=True)
        .first()
    )
    if (
        default is not None
        and _valid_on(default, on_date)
        and all(pl.pk != default.pk for pl, _s in lists)
    ):
        lists.append((default, "price_list"))
    return lists


def prices_for(
    *,
    company,
    items: Sequence[tuple[Product, Decimal]],
    on_date: datetime.date,
    customer=None,
    currency: str | None = None,
    strict: bool = True,
) -> list[PriceQuote | None]:
    """Quotes for many ``(product, quantity)`` pairs in a fixed number of queries.

    With ``strict`` a product without a price raises ``catalog.no_price``; without, its quote
    is ``None`` and the caller decides (an order line with a manual price needs none)."""
    currency = currency or getattr(customer, "currency", None) or company.base_currency
    lists = _applicable_lists(company, customer, currency, on_date)
    tiers: dict[tuple[UUID, UUID], list[PriceListItem]] = {}
    if lists and items:
        product_ids = {product.pk for product, _q in items}
        rows = PriceListItem.objects.for_company(company).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
            price_list_id__in=[pl.pk for pl, _s in lists],
            product_id__in=product_ids,
        )
        for row in rows:
            tiers.setdefault((row.price_list_id, row.product_id), []).append(row)
    rules: dict[UUID, list[PriceRule]] = {}
    if lists and items and currency == company.base_currency:
        for rule in PriceRule.objects.for_company(company).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
            price_list_id__in=[pl.pk for pl, _s in lists],
            is_active=True,
        ):
            rules.setdefault(rule.price_list_id, []).append(rule)
    return [
        _quote(product, quantity, lists, tiers, rules, company, currency, strict)
        for product, quantity in items
    ]


def _rule_reach(rule: PriceRule, product: Product) -> int:
    """How closely ``rule`` names ``product``: 3 the product, 2 its category, 1 all products,
    0 not at all."""
    if rule.product_id is not None:
        return 3 if rule.product_id == product.pk else 0
    if rule.category_id is not None:
        return 2 if rule.category_id == product.category_id else 0
    return 1


def rule_price(rule: PriceRule, product: Product) -> Decimal:
    """The price ``rule`` gives ``product``: its list price or cost × (1 + markup %), rounded
    half up to a multiple of ``rounding`` (none: the price's four places), plus ``surcharge``;
    never below zero."""
    base = product.cost if rule.base == PriceBase.COST else product.list_price
    price = base * (1 + rule.markup_percent / 100)
    if rule.rounding > 0:
        price = round_to(price / rule.rounding, 0) * rule.rounding
    price = max(price + rule.surcharge, Decimal(0))
    return round_to(price, PRICE_FIELD["decimal_places"])


def _best_rule(rules: list[PriceRule], product: Product, quantity: Decimal) -> PriceRule | None:
    reaching = [
        (reach, rule)
        for rule in rules
        if rule.min_quantity <= quantity and (reach := _rule_reach(rule, product))
    ]
    if not reaching:
        return None
    return max(
        reaching,
        key=lambda pair: (pair[0], pair[1].min_quantity, pair[1].valid_from or datetime.date.min),
    )[1]


def _quote(product, quantity, lists, tiers, rules, company, currency, strict):
    for price_list, source in lists:
        candidates = [
            t for t in tiers.get((price_list.pk, product.pk), []) if t.min_quantity <= quantity
        ]
        if candidates:
            best = max(
                candidates,
                key=lambda t: (t.min_quantity, t.valid_from or datetime.date.min),
            )
            return PriceQuote(best.unit_price, currency, source, price_list.pk, best.min_quantity)
        rule = _best_rule(rules.get(price_list.pk, []), product, quantity)
        if rule is not None:
            return PriceQuote(
                rule_price(rule, product),
                currency,
                source,
                price_list.pk,
                rule.min_quantity,
                rule_id=rule.pk,
            )
    if currency == company.base_currency:
        return PriceQuote(product.list_price, currency, "list_price")
    if not strict:
        return None
    raise NoPrice(
        params={"sku": product.sku, "currency": currency},
        details={"sku": product.sku, "currency": currency},
    )


def price_for(
    product: Product,
    *,
    quantity: Decimal,
    on_date: datetime.date,
    customer=None,
    currency: str | None = None,
) -> PriceQuote:
    """The unit price of ``product`` for ``customer`` buying ``quantity`` on ``on_date``."""
    company = product.company
    return prices_for(
        company=company,
        items=[(product, quantity)],
        on_date=on_date,
        customer=customer,
        currency=currency,
    )[0]


def tax_mapping_rules(customer) -> dict[UUID, TaxRate]:
    """The customer's tax mapping as ``{tax rate id: the rate that replaces it}`` (empty when
    the customer has none or it is inactive); one query."""
    mapping_id = getattr(customer, "tax_mapping_id", None) if customer is not None else None
    if mapping_id is None:
        return {}
    rules = (
        TaxMappingRule.objects.for_company(customer.company_id)
        .filter(mapping_id=mapping_id, mapping__is_active=True)
        .select_related("to_rate")
    )
    return {rule.from_rate_id: rule.to_rate for rule in rules}


def mapped_price(price: Decimal, from_percent: Decimal, to_percent: Decimal) -> Decimal:
    """A tax-inclusive price moved from one rate to another so that its net stays the same
    (113 at 13 % → 100 at 0 %). Unrounded: the line's amounts are rounded by the calculation,
    the price to its column's places by the caller."""
    return price / (100 + from_percent) * (100 + to_percent)
