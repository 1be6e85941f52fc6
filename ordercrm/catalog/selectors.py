"""Reads of the catalog, scoped to the company and requiring the product-view permission."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ordercrm.accounts.access import Access
from ordercrm.catalog.models import (
    Category,
    PriceList,
    Product,
    TaxMapping,
    TaxMappingRule,
    TaxRate,
    Unit,
)
from ordercrm.core.exceptions import NotFound
from ordercrm.core.permissions import Perm


def product_list(
    access: Access,
    *,
    search: str = "",
    category_id=None,
    active_only: bool = True,
    inactive_only: bool = False,
) -> QuerySet[Product]:
    """Products of the company, searchable by SKU, name or barcode; a category takes in its
    direct subcategories too."""
    access.require(Perm.PRODUCT_VIEW)
    products = Product.objects.for_company(access.company).select_related(
        "unit", "tax_rate", "category"
    )
    if inactive_only:
        products = products.filter(is_active=False)
    elif active_only:
        products = products.filter(is_active=True)
    if category_id:
        products = products.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    search = search.strip()
    if search:
        products = products.filter(
            Q(sku__icontains=search) | Q(name__icontains=search) | Q(barcode=search)
        )
    return products.order_by("sku")


def product_get(access: Access, product_id) -> Product:
    """One product by id; ``core.not_found`` if it is not in the caller's company."""
    access.require(Perm.PRODUCT_VIEW)
    product = product_list(access, active_only=False).filter(pk=product_id).first()
    if product is None:
        raise NotFound(details={"product_id": str(product_id)})
    return product


def price_list_list(access: Access) -> QuerySet[PriceList]:
    access.require(Perm.PRODUCT_VIEW)
    return PriceList.objects.for_company(access.company).order_by("currency", "name")


def tax_rate_list(access: Access, *, include_inactive: bool = False) -> QuerySet[TaxRate]:
    access.require(Perm.PRODUCT_VIEW)
    rates = TaxRate.objects.for_company(access.company)
    return rates if include_inactive else rates.filter(is_active=True)


def unit_list(access: Access) -> QuerySet[Unit]:
    access.require(Perm.PRODUCT_VIEW)
    return Unit.objects.for_company(access.company)


def category_list(access: Access) -> QuerySet[Category]:
    access.require(Perm.PRODUCT_VIEW)
    return Category.objects.for_company(access.company).select_related("parent")


def price_list_get(access: Access, price_list_id) -> PriceList:
    from ordercrm.core.ids import parse_id

    price_list = price_list_list(access).filter(pk=parse_id(price_list_id)).first()
    if price_list is None:
        raise NotFound(details={"price_list_id": str(price_list_id)})
    return price_list


def product_prices(access: Access, product: Product) -> QuerySet:
    """Every price of ``product`` in the company's price lists (tiers and dated prices), by
    currency, list and quantity break, with whether each list is in force today."""
    from ordercrm.catalog.models import PriceListItem

    access.require(Perm.PRODUCT_VIEW)
    return (
        PriceListItem.objects.for_company(access.company)
        .filter(product=product)
        .select_related("price_list")
        .order_by("price_list__currency", "price_list__name", "min_quantity", "valid_from")
    )


def price_list_item_get(access: Access, price_list: PriceList, item_id):
    """One tier of ``price_list``; ``core.not_found`` for any other id."""
    from ordercrm.catalog.models import PriceListItem
    from ordercrm.core.ids import parse_id

    access.require(Perm.PRODUCT_VIEW)
    item = (
        PriceListItem.objects.for_company(access.company)
        .filter(price_list=price_list, pk=parse_id(item_id))
        .select_related("product", "product__unit", "price_list")
        .first()
    )
    if item is None:
        raise NotFound(details={"item_id": str(item_id)})
    return item


def category_get(access: Access, category_id) -> Category:
    from ordercrm.core.ids import parse_id

    category = category_list(access).filter(pk=parse_id(category_id)).first()
    if category is None:
        raise NotFound(details={"category_id": str(category_id)})
    return category


def unit_get(access: Access, unit_id) -> Unit:
    from ordercrm.core.ids import parse_id

    unit = unit_list(access).filter(pk=parse_id(unit_id)).first()
    if unit is None:
        raise NotFound(details={"unit_id": str(unit_id)})
    return unit


def tax_rate_get(access: Access, tax_rate_id, *, include_inactive: bool = True) -> TaxRate:
    from ordercrm.core.ids import parse_id

    access.require(Perm.PRODUCT_VIEW)
    rates = TaxRate.objects.for_company(access.company)
    if not include_inactive:
        rates = rates.filter(is_active=True)
    tax_rate = rates.filter(pk=parse_id(tax_rate_id)).first()
    if tax_rate is None:
        raise NotFound(details={"tax_rate_id": str(tax_rate_id)})
    return tax_rate


def tax_mapping_list(access: Access, *, include_inactive: bool = True) -> list[TaxMapping]:
    """The company's tax mappings, active first then by name, each with its ``loaded_rules``
    (``from_rate`` → ``to_rate``, lowest source rate first): two queries for any number."""
    access.require(Perm.PRODUCT_VIEW)
    mappings = TaxMapping.objects.for_company(access.company).order_by("-is_active", "name")
    if not include_inactive:
        mappings = mappings.filter(is_active=True)
    mappings = list(mappings)
    rules: dict = {}
    for rule in (
        TaxMappingRule.objects.for_company(access.company)
        .filter(mapping__in=[m.pk for m in mappings])
        .select_related("from_rate", "to_rate")
        .order_by("from_rate__rate", "from_rate__name")
    ):
        rules.setdefault(rule.mapping_id, []).append(rule)
    for mapping in mappings:
        mapping.loaded_rules = rules.get(mapping.pk, [])
    return mappings


def tax_mapping_get(access: Access, tax_mapping_id) -> TaxMapping:
    """One tax mapping with its ``loaded_rules``; ``core.not_found`` (naming
    ``tax_mapping_id``) for an id outside the caller's company."""
    from ordercrm.core.ids import parse_id

    access.require(Perm.PRODUCT_VIEW)
    try:
        pk = parse_id(tax_mapping_id)
    except NotFound:
        pk = None
    mapping = TaxMapping.objects.for_company(access.company).filter(pk=pk).first() if pk else None
    if mapping is None:
        raise NotFound(details={"tax_mapping_id": str(tax_mapping_id)})
    mapping.loaded_rules = list(
        TaxMappingRule.objects.for_company(access.company)
        .filter(mapping=mapping)
        .select_related("from_rate", "to_rate")
        .order_by("from_rate__rate", "from_rate__name")
    )
    return mapping


def product_by_sku(access: Access, sku: str) -> Product | None:
    """The company's product with this SKU (case-insensitive), or None."""
    sku = (sku or "").strip()
    if not sku:
        return None
    return product_list(access, active_only=False).filter(sku__iexact=sku).first()


def price_list_items(price_list: PriceList, *, sku: str = "") -> QuerySet:
    """A price list's prices with their products, by SKU then quantity break; ``sku`` narrows
    them to one product's tiers."""
    from ordercrm.catalog.models import PriceListItem

    items = (
        PriceListItem.objects.for_company(price_list.company_id)
        .filter(price_list=price_list)
        .select_related("product", "product__unit")
    )
    if sku.strip():
        items = items.filter(product__sku__iexact=sku.strip())
    return items.order_by("product__sku", "min_quantity")


def price_list_rules(price_list: PriceList) -> QuerySet:
    """A price list's rules, most specific first (product, category, all), then by tier."""
    from django.db.models import Case, IntegerField, Value, When

    from ordercrm.catalog.models import PriceRule

    reach = Case(
        When(product__isnull=False, then=Value(0)),
        When(category__isnull=False, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        PriceRule.objects.for_company(price_list.company_id)
        .filter(price_list=price_list)
        .select_related("product", "category")
        .annotate(reach=reach)
        .order_by("reach", "product__sku", "category__name", "min_quantity", "valid_from")
    )


def price_rule_get(access: Access, price_list: PriceList, rule_id):
    """One rule of ``price_list``; ``core.not_found`` for any other id."""
    from ordercrm.core.ids import parse_id

    access.require(Perm.PRODUCT_VIEW)
    rule = price_list_rules(price_list).filter(pk=parse_id(rule_id)).first()
    if rule is None:
        raise NotFound(details={"rule_id": str(rule_id)})
    return rule


def exchange_rate_on(company, currency: str, on_date):
    """The company's rate for ``currency`` in force on ``on_date``: the latest row dated on or
    before it, or None. Not scoped by role: every order of the company reads it to price
    itself in the company currency."""
    from ordercrm.catalog.models import ExchangeRate

    return (
        ExchangeRate.objects.for_company(company)
        .filter(currency=currency, date__lte=on_date)
        .order_by("-date")
        .first()
    )


def exchange_rate_list(access: Access, *, currency: str = "") -> QuerySet:
    """The company's rate table, newest first per currency, with who set each rate (finance)."""
    from ordercrm.catalog.models import ExchangeRate

    access.require(Perm.EXCHANGE_RATE_EDIT)
    rates = ExchangeRate.objects.for_company(access.company).select_related("set_by")
    if currency:
        rates = rates.filter(currency=currency.strip().upper())
    return rates.order_by("currency", "-date")


def products_for_rows(
    company, rows: list[dict], *, related: tuple[str, ...] = ("tax_rate", "unit")
) -> list[Product | None]:
    """The product each input row names, within ``company``, in one query: a ``product``
    (a Product), else a ``product_id`` (UUID or text), else a ``sku``. ``None`` where the row
    names none, an unknown one or one of another company: the caller records
    ``Unknown product.`` on that row (``core.validation.RowErrors``)."""
    from ordercrm.core.ids import parse_id

    def reference(row: dict):
        product = row.get("product")
        if isinstance(product, Product):
            return "id", product.pk
        if row.get("product_id"):
            try:
                return "id", parse_id(row["product_id"])
            except NotFound:
                return None
        if row.get("sku"):
            return "sku", str(row["sku"]).strip()
        return None

    references = [reference(row) for row in rows]
    ids = {value for kind, value in filter(None, references) if kind == "id"}
    skus = {value for kind, value in filter(None, references) if kind == "sku"}
    found: dict = {}
    if ids or skus:
        products = (
            Product.objects.for_company(company)
            .select_related(*related)
            .filter(Q(pk__in=ids) | Q(sku__in=skus))
        )
        for product in products:
            found["id", product.pk] = found["sku", product.sku] = product
    return [found.get(ref) if ref else None for ref in references]


def kit_components_of(company_id, kit_ids) -> dict:
    """``{kit product id: [KitComponent, …]}`` in position order, components' products and
    units loaded; one query."""
    from ordercrm.catalog.models import KitComponent

    found: dict = {}
    ids = list(kit_ids)
    if not ids:
        return found
    rows = (
        KitComponent.objects.for_company(company_id)
        .filter(kit_id__in=ids)
        .select_related("component", "component__unit")
        .order_by("kit_id", "position")
    )
    for row in rows:
        found.setdefault(row.kit_id, []).append(row)
    return found


def kit_components(product: Product) -> list:
    """A kit's components in position order (empty for a product that is no kit)."""
    if not product.is_kit:
        return []
    return kit_components_of(product.company_id, [product.pk]).get(product.pk, [])
