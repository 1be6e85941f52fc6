"""API v1: products, units, categories, tax rates, price lists with their tiers and customers,
and the company's exchange rates — what an ERP or a shop needs to keep the catalog in sync.

Thin: look-ups through the catalog's selectors (another company's id is a 404), writes
through its services (one each). A tier is upserted by its natural key, so a sync may send
the same rows every night: ``POST /price-lists/{id}/items`` answers 201 when it created the
row, 200 when it updated or found it unchanged (``outcome``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.api.base import page, version_from
from ordercrm.api.v1 import catalog_schemas as c
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import with_errors
from ordercrm.catalog import services as catalog
from ordercrm.catalog.selectors import (
    category_get,
    category_list,
    exchange_rate_list,
    price_list_get,
    price_list_item_get,
    price_list_items,
    price_list_list,
    price_list_rules,
    price_rule_get,
    product_by_sku,
    product_get,
    product_list,
    tax_mapping_get,
    tax_mapping_list,
    tax_rate_get,
    tax_rate_list,
    unit_get,
    unit_list,
)
from ordercrm.catalog.services import exchange_rate_set
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import DomainError, ValidationFailed
from ordercrm.core.ids import parse_id

router = Router()


def _references(request, values: dict) -> dict:
    """Body references as records of the caller's company: ``unit`` (a code), ``category_id``,
    ``tax_rate_id``, ``parent_id``. An unknown reference is a 422 on its field."""
    access = request.access
    errors: dict[str, list[str]] = {}
    if "unit" in values:
        code = values.pop("unit")
        unit = unit_list(access).filter(code__iexact=code or "").first()
        if unit is None:
            errors["unit"] = [_("Unknown unit.")]
        values["unit"] = unit
    for key, field, get in (
        ("category_id", "category", category_get),
        ("tax_rate_id", "tax_rate", tax_rate_get),
        ("parent_id", "parent", category_get),
    ):
        if key in values:
            ref = values.pop(key)
            try:
                values[field] = get(access, ref) if ref else None
            except Exception:
                errors[field] = [_("Not found.")]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    return values


# ---------------------------------------------------------------- products


@router.get("/products", response=with_errors({200: c.ProductDetailPage}), tags=["catalog"])
@decorate_view(reading_from_replica())
def products_list(
    request,
    search: str = "",
    category_id: str | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    cursor: str | None = None,
):
    category = category_get(request.access, category_id).pk if category_id else None
    products = product_list(
        request.access, search=search, category_id=category, active_only=not include_inactive
    )
    return page(products, limit, cursor)


@router.post("/products", response=with_errors({201: c.ProductDetailOut}), tags=["catalog"])
def products_create(request, body: c.ProductIn):
    """Create a product (a service with ``is_stock_tracked: false``); the SKU must be new."""
    values = _references(request, body.dict(exclude_unset=True))
    product = catalog.product_create(company=request.company, actor=request.user, **values)
    return Status(201, product_get(request.access, product.pk))


@router.get(
    "/products/{product_id}", response=with_errors({200: c.ProductDetailOut}), tags=["catalog"]
)
def products_get(request, product_id: str):
    return product_get(request.access, parse_id(product_id))


@router.patch(
    "/products/{product_id}", response=with_errors({200: c.ProductDetailOut}), tags=["catalog"]
)
def products_update(request, product_id: str, body: c.ProductPatch):
    """Change fields; ``version`` (or ``If-Match``) makes a stale write a 409."""
    product = product_get(request.access, parse_id(product_id))
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    values = _references(request, values)
    catalog.product_update(product=product, actor=request.user, version=version, **values)
    return product_get(request.access, product.pk)


def _kit_out(product) -> dict:
    from ordercrm.inventory.selectors import KitStock, kit_stock

    stock = kit_stock(product) or KitStock([])
    return {
        "product_id": product.pk,
        "sku": product.sku,
        "is_kit": product.is_kit,
        "list_price": product.list_price,
        "available": stock.available,
        "version": product.version,
        "components": [
            {
                "product_id": part.component.pk,
                "sku": part.component.sku,
                "name": part.component.name,
                "unit": part.component.unit.label(),
                "quantity": part.quantity,
                "on_hand": part.stock.on_hand,
                "reserved": part.stock.reserved,
                "available": part.stock.available,
                "kits": part.kits,
            }
            for part in stock.parts
        ],
    }


@router.get("/products/{product_id}/kit", response=with_errors({200: c.KitOut}), tags=["catalog"])
def products_kit_get(request, product_id: str):
    """The product's kit components with each one's stock, and the whole kits they make."""
    return _kit_out(product_get(request.access, parse_id(product_id)))


@router.put("/products/{product_id}/kit", response=with_errors({200: c.KitOut}), tags=["catalog"])
def products_kit_set(request, product_id: str, body: c.KitIn):
    """Replace the kit's components (``[]``: no longer a kit). Orders already entered keep
    the components they copied. Refused (422): a component unknown, the kit itself, a kit,
    a service, named twice, or not above zero (``details.lines``); the product is a service
    (``catalog.kit_not_stock_tracked``) or a component of another kit (``catalog.kit_nested``);
    a stale ``version`` or ``If-Match`` is a 409."""
    product = product_get(request.access, parse_id(product_id))
    values = body.dict()
    version = version_from(request, values.pop("version", None))
    rows = [
        {
            **({"product_id": row["product_id"]} if row.get("product_id") else {}),
            **({"sku": row["sku"]} if row.get("sku") else {}),
            "quantity": row["quantity"],
        }
        for row in values["components"]
    ]
    catalog.product_kit_set(product=product, actor=request.user, components=rows, version=version)
    return _kit_out(product_get(request.access, product.pk))


# ---------------------------------------------------------------- units, categories, tax rates


@router.get("/units", response=with_errors({200: list[c.UnitOut]}), tags=["catalog"])
def units_list(request):
    return list(unit_list(request.access))


@router.post("/units", response=with_errors({201: c.UnitOut}), tags=["catalog"])
def units_create(request, body: c.UnitIn):
    return Status(
        201, catalog.unit_create(company=request.company, actor=request.user, **body.dict())
    )


@router.patch("/units/{unit_id}", response=with_errors({200: c.UnitOut}), tags=["catalog"])
def units_update(request, unit_id: str, body: c.UnitPatch):
    unit = unit_get(request.access, unit_id)
    return catalog.unit_update(unit=unit, actor=request.user, **body.dict(exclude_unset=True))


@router.get("/categories", response=with_errors({200: list[c.CategoryOut]}), tags=["catalog"])
def categories_list(request):
    return list(category_list(request.access))


@router.post("/categories", response=with_errors({201: c.CategoryOut}), tags=["catalog"])
def categories_create(request, body: c.CategoryIn):
    values = _references(request, body.dict(exclude_unset=True))
    return Status(
        201, catalog.category_create(company=request.company, actor=request.user, **values)
    )


@router.patch(
    "/categories/{category_id}", response=with_errors({200: c.CategoryOut}), tags=["catalog"]
)
def categories_update(request, category_id: str, body: c.CategoryPatch):
    category = category_get(request.access, category_id)
    values = _references(request, body.dict(exclude_unset=True))
    return catalog.category_update(category=category, actor=request.user, **values)


@router.get("/tax-rates", response=with_errors({200: list[c.TaxRateOut]}), tags=["catalog"])
def tax_rates_list(request, include_inactive: bool = False):
    return list(tax_rate_list(request.access, include_inactive=include_inactive))


@router.post("/tax-rates", response=with_errors({201: c.TaxRateOut}), tags=["catalog"])
def tax_rates_create(request, body: c.TaxRateIn):
    return Status(
        201, catalog.tax_rate_create(company=request.company, actor=request.user, **body.dict())
    )


@router.patch(
    "/tax-rates/{tax_rate_id}", response=with_errors({200: c.TaxRateOut}), tags=["catalog"]
)
def tax_rates_update(request, tax_rate_id: str, body: c.TaxRatePatch):
    tax_rate = tax_rate_get(request.access, tax_rate_id)
    return catalog.tax_rate_update(
        tax_rate=tax_rate, actor=request.user, **body.dict(exclude_unset=True)
    )


# ---------------------------------------------------------------- tax mappings


def _rule_pairs(rules) -> list[tuple[str, str]]:
    return [(rule["from_tax_rate_id"], rule["to_tax_rate_id"]) for rule in rules]


@router.get("/tax-mappings", response=with_errors({200: list[c.TaxMappingOut]}), tags=["catalog"])
def tax_mappings_list(request, include_inactive: bool = False):
    """The company's tax mappings with their rules, active first (``include_inactive``: also
    those switched off)."""
    return tax_mapping_list(request.access, include_inactive=include_inactive)


@router.get(
    "/tax-mappings/{tax_mapping_id}", response=with_errors({200: c.TaxMappingOut}), tags=["catalog"]
)
def tax_mappings_get(request, tax_mapping_id: str):
    return tax_mapping_get(request.access, tax_mapping_id)


@router.post("/tax-mappings", response=with_errors({201: c.TaxMappingOut}), tags=["catalog"])
def tax_mappings_create(request, body: c.TaxMappingIn):
    """A tax mapping (settings): unknown, inactive or repeated rates are a 422 on ``rules``;
    a name in use a 422 on ``name``."""
    values = body.dict()
    mapping = catalog.tax_mapping_create(
        company=request.company,
        actor=request.user,
        name=values["name"],
        is_active=values["is_active"],
        rules=_rule_pairs(values["rules"]),
    )
    return Status(201, tax_mapping_get(request.access, mapping.pk))


@router.patch(
    "/tax-mappings/{tax_mapping_id}", response=with_errors({200: c.TaxMappingOut}), tags=["catalog"]
)
def tax_mappings_update(request, tax_mapping_id: str, body: c.TaxMappingPatch):
    """Rename, switch on or off, or replace the rules (``rules`` is the whole new set). Orders
    already priced keep their rates. A stale ``version`` or ``If-Match`` is a 409."""
    mapping = tax_mapping_get(request.access, tax_mapping_id)
    values = body.dict(exclude_unset=True)
    catalog.tax_mapping_update(
        mapping=mapping,
        actor=request.user,
        version=version_from(request, values.get("version")),
        name=values.get("name"),
        is_active=values.get("is_active"),
        rules=_rule_pairs(values["rules"]) if values.get("rules") is not None else None,
    )
    return tax_mapping_get(request.access, mapping.pk)


@router.delete(
    "/tax-mappings/{tax_mapping_id}", response=with_errors({204: None}), tags=["catalog"]
)
def tax_mappings_delete(request, tax_mapping_id: str):
    """Delete a mapping no customer has (``catalog.tax_mapping_in_use`` otherwise)."""
    mapping = tax_mapping_get(request.access, tax_mapping_id)
    catalog.tax_mapping_remove(mapping=mapping, actor=request.user)
    return HttpResponse(status=204)


# ---------------------------------------------------------------- price lists


@router.get(
    "/price-lists", response=with_errors({200: list[c.PriceListDetailOut]}), tags=["catalog"]
)
def price_lists(request):
    return list(price_list_list(request.access))


@router.post("/price-lists", response=with_errors({201: c.PriceListDetailOut}), tags=["catalog"])
def price_lists_create(request, body: c.PriceListIn):
    return Status(
        201,
        catalog.price_list_create(company=request.company, actor=request.user, **body.dict()),
    )


@router.get(
    "/price-lists/{price_list_id}",
    response=with_errors({200: c.PriceListDetailOut}),
    tags=["catalog"],
)
def price_lists_get(request, price_list_id: str):
    return price_list_get(request.access, price_list_id)


@router.patch(
    "/price-lists/{price_list_id}",
    response=with_errors({200: c.PriceListDetailOut}),
    tags=["catalog"],
)
def price_lists_update(request, price_list_id: str, body: c.PriceListPatch):
    price_list = price_list_get(request.access, price_list_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    return catalog.price_list_update(
        price_list=price_list, actor=request.user, version=version, **values
    )


@router.get(
    "/price-lists/{price_list_id}/items",
    response=with_errors({200: c.PriceListItemPage}),
    tags=["catalog"],
)
def price_list_items_list(
    request, price_list_id: str, sku: str = "", limit: int = 50, cursor: str | None = None
):
    items = price_list_items(price_list_get(request.access, price_list_id), sku=sku)
    return page(items, limit, cursor, ascending=True)


@router.post(
    "/price-lists/{price_list_id}/items",
    response=with_errors({200: c.PriceListItemOut, 201: c.PriceListItemOut}),
    tags=["catalog"],
)
def price_list_items_upsert(request, price_list_id: str, body: c.PriceListItemIn):
    """Create or update the tier with this product, minimum quantity and valid-from."""
    access = request.access
    price_list = price_list_get(access, price_list_id)
    if body.product_id:
        try:
            product = product_get(access, parse_id(body.product_id))
        except Exception:
            product = None
    else:
        product = product_by_sku(access, body.sku or "")
    if product is None:
        raise ValidationFailed(details={"fields": {"sku": [_("No product with this code.")]}})
    item = catalog.price_list_item_set(
        price_list=price_list,
        product=product,
        actor=request.user,
        min_quantity=body.min_quantity,
        unit_price=body.unit_price,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    outcome = item.outcome
    item = price_list_item_get(access, price_list, item.pk)
    item.outcome = outcome
    return Status(201 if outcome == "created" else 200, item)


@router.patch(
    "/price-lists/{price_list_id}/items/{item_id}",
    response=with_errors({200: c.PriceListItemOut}),
    tags=["catalog"],
)
def price_list_items_update(request, price_list_id: str, item_id: str, body: c.PriceListItemPatch):
    price_list = price_list_get(request.access, price_list_id)
    item = price_list_item_get(request.access, price_list, item_id)
    catalog.price_list_item_update(item=item, actor=request.user, **body.dict(exclude_unset=True))
    return price_list_item_get(request.access, price_list, item.pk)


@router.delete(
    "/price-lists/{price_list_id}/items/{item_id}",
    response=with_errors({204: None}),
    tags=["catalog"],
)
def price_list_items_delete(request, price_list_id: str, item_id: str):
    price_list = price_list_get(request.access, price_list_id)
    item = price_list_item_get(request.access, price_list, item_id)
    catalog.price_list_item_remove(item=item, actor=request.user)
    return HttpResponse(status=204)


@router.get(
    "/price-lists/{price_list_id}/rules",
    response=with_errors({200: list[c.PriceRuleOut]}),
    tags=["catalog"],
)
def price_list_rules_list(request, price_list_id: str):
    """The list's price rules, most specific first (``catalog.pricing`` says which wins)."""
    return list(price_list_rules(price_list_get(request.access, price_list_id)))


@router.post(
    "/price-lists/{price_list_id}/rules",
    response=with_errors({201: c.PriceRuleOut}),
    tags=["catalog"],
)
def price_list_rules_create(request, price_list_id: str, body: c.PriceRuleIn):
    access = request.access
    price_list = price_list_get(access, price_list_id)
    values = body.dict()
    sku, product_id, category_id = (values.pop(k) for k in ("sku", "product_id", "category_id"))
    errors: dict[str, list[str]] = {}
    product = category = None
    if product_id or sku:
        try:
            product = (
                product_get(access, parse_id(product_id))
                if product_id
                else product_by_sku(access, sku)
            )
        except DomainError:
            product = None
        if product is None:
            errors["sku"] = [_("No product with this code.")]
    if category_id:
        try:
            category = category_get(access, category_id)
        except DomainError:
            errors["category_id"] = [_("Unknown category.")]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    rule = catalog.price_rule_create(
        price_list=price_list, actor=request.user, product=product, category=category, **values
    )
    return Status(201, price_rule_get(access, price_list, rule.pk))


@router.patch(
    "/price-lists/{price_list_id}/rules/{rule_id}",
    response=with_errors({200: c.PriceRuleOut}),
    tags=["catalog"],
)
def price_list_rules_update(request, price_list_id: str, rule_id: str, body: c.PriceRulePatch):
    price_list = price_list_get(request.access, price_list_id)
    rule = price_rule_get(request.access, price_list, rule_id)
    catalog.price_rule_update(rule=rule, actor=request.user, **body.dict(exclude_unset=True))
    return price_rule_get(request.access, price_list, rule.pk)


@router.delete(
    "/price-lists/{price_list_id}/rules/{rule_id}",
    response=with_errors({204: None}),
    tags=["catalog"],
)
def price_list_rules_delete(request, price_list_id: str, rule_id: str):
    price_list = price_list_get(request.access, price_list_id)
    rule = price_rule_get(request.access, price_list, rule_id)
    catalog.price_rule_remove(rule=rule, actor=request.user)
    return HttpResponse(status=204)


@router.post(
    "/price-lists/{price_list_id}/customers",
    response=with_errors({200: c.AssignedOut}),
    tags=["catalog"],
)
def price_list_customers_assign(request, price_list_id: str, body: c.AssignIn):
    """Make this the own price list of these customers (all or none; same currency)."""
    from ordercrm.customers.price_lists import price_list_assign

    price_list = price_list_get(request.access, price_list_id)
    customers = price_list_assign(
        price_list=price_list, codes=body.customer_codes, actor=request.user
    )
    return {"assigned": [customer.code for customer in customers]}


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
