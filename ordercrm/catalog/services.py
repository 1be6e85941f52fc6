"""Write use cases for the catalog: defaults, products, categories, units, tax rates, price
lists and their tiers, exchange rates.

Every service is one transaction that locks the row it changes (``catalog.locks``), checks the
caller's permission (``product_edit`` for the catalog, ``settings_edit`` for tax rates,
``exchange_rate_edit`` for rates), reports bad input as ``core.validation_failed`` with
``details.fields`` (nothing written), and leaves one audit entry per change. A write that
changes nothing writes nothing, so the importer and an ERP sync may send the same data again.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel.numbers import list_currencies
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.catalog import hooks, locks
from ordercrm.catalog.models import (
    MAX_EXCHANGE_RATE,
    Category,
    ExchangeRate,
    KitComponent,
    PriceBase,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    TaxMapping,
    TaxMappingRule,
    TaxRate,
    Unit,
)
from ordercrm.core import audit
from ordercrm.core.exceptions import Conflict, NotFound, ValidationFailed
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, RowErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason

# China's VAT rates as of 2026: general 13 %, reduced 9 % and 6 %, zero-rated exports.
CHINA_TAX_RATES = [
    ("VAT 13%", Decimal("13"), True),
    ("VAT 9%", Decimal("9"), False),
    ("VAT 6%", Decimal("6"), False),
    ("VAT 0%", Decimal("0"), False),
]
# code, English, Simplified Chinese, Traditional Chinese (Taiwan usage), quantity decimals.
DEFAULT_UNITS = [
    ("pcs", "pcs", "件", "件", 0),
    ("box", "box", "箱", "箱", 0),
    ("set", "set", "套", "套", 0),
    ("kg", "kg", "千克", "公斤", 3),
    ("m", "m", "米", "公尺", 2),
    ("mm", "mm", "毫米", "公釐", 0),
    ("l", "L", "升", "公升", 3),
    ("h", "h", "小时", "小時", 2),
]

PRODUCT_FIELDS = [
    "sku",
    "name",
    "description",
    "barcode",
    "unit",
    "category",
    "tax_rate",
    "list_price",
    "cost",
    "is_active",
    "is_stock_tracked",
    "over_delivery_tolerance",
    "under_delivery_tolerance",
    "reorder_point",
]
UNIT_FIELDS = ["code", "name", "name_zh_hans", "name_zh_hant", "decimals"]
CATEGORY_FIELDS = ["name", "parent"]
TAX_RATE_FIELDS = ["name", "rate", "is_default", "is_active"]
PRICE_LIST_FIELDS = ["name", "currency", "is_default", "is_active", "valid_from", "valid_to"]
PRICE_LIST_ITEM_FIELDS = ["min_quantity", "unit_price", "valid_from", "valid_to"]
PRICE_RULE_FIELDS = [
    "name",
    "product",
    "category",
    "base",
    "markup_percent",
    "rounding",
    "surcharge",
    "min_quantity",
    "valid_from",
    "valid_to",
    "is_active",
]


class StaleVersion(Conflict):
    """The record changed since the caller read it; ``details.current_version`` says to what."""

    code = "catalog.stale_version"


def _taken(model, company, instance=None, **lookup) -> bool:
    """Whether another row of the company than ``instance`` already has these values (the
    uniqueness a form reports at its field, before the database constraint would refuse it)."""
    clash = model.objects.for_company(company).filter(**lookup)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    return clash.exists()


def _require(actor, company, perm) -> None:
    if actor is not None:
        access_for(actor, company).require(perm)


def _unknown(kind: str, given, allowed) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise TypeError(f"unknown {kind} fields: {sorted(unknown)}")


def _check_version(locked, version) -> None:
    if version is not None and locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})


def _date(errors: FieldErrors, field: str, value):
    """A date, an ISO date string or empty (None); anything else is a field error."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a date (YYYY-MM-DD)."))
        return None


def _check_dates(errors: FieldErrors, values: dict) -> None:
    for field in ("valid_from", "valid_to"):
        if field in values:
            values[field] = _date(errors, field, values[field])
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        errors.add("valid_to", _("Must not be before the start date."))


def _check_currency(errors: FieldErrors, value) -> str:
    currency = str(value or "").strip().upper()
    if currency not in list_currencies():
        errors.add("currency", _("Enter a three-letter ISO currency code."))
    return currency


def _own(errors: FieldErrors, company_id, values: dict, fields) -> None:
    for field in fields:
        related = values.get(field)
        if related is not None and related.company_id != company_id:
            errors.add(field, _("Not in this company."))


def _save_audited(row, *, actor, fields, before, changes: dict, values: dict, versioned=False):
    """Apply ``changes`` (already checked) to the locked ``row``; save and audit only if
    something changed. Returns the row."""
    for field in changes:
        setattr(row, field, values[field])
    changed = audit.diff(before, audit.snapshot(row, fields))
    if not changed:
        return row
    if versioned:
        row.version += 1
    row.save()
    audit.record(actor=actor, entity=row, action="update", changes=changed)
    return row


@transaction.atomic
def catalog_setup_defaults(*, company: Company) -> None:
    """Give a new company China's VAT rates and common units (named in English, Simplified and
    Traditional Chinese); running it again adds nothing and keeps names a company changed."""
    for name, rate, is_default in CHINA_TAX_RATES:
        TaxRate.objects.get_or_create(
            company=company, name=name, defaults={"rate": rate, "is_default": is_default}
        )
    for code, name, simplified, traditional, decimals in DEFAULT_UNITS:
        Unit.objects.get_or_create(
            company=company,
            code=code,
            defaults={
                "name": name,
                "name_zh_hans": simplified,
                "name_zh_hant": traditional,
                "decimals": decimals,
            },
        )


# ---------------------------------------------------------------- products


def _check_product(
    company: Company, values: dict, errors: FieldErrors, product: Product | None
) -> None:
    for field in ("sku", "name", "description", "barcode"):
        if field in values:
            values[field] = errors.text(field, values[field], Product._meta.get_field(field))
    errors.required("sku", values.get("sku"))
    errors.required("name", values.get("name"))
    for field in ("list_price", "cost"):
        if field in values:
            values[field] = errors.decimal(
                field, values[field], minimum=Decimal("0"), column=Product._meta.get_field(field)
            )
    if values.get("reorder_point") in ("", None):
        if "reorder_point" in values:
            values["reorder_point"] = None
    else:
        values["reorder_point"] = errors.decimal(
            "reorder_point",
            values["reorder_point"],
            minimum=Decimal("0"),
            column=Product._meta.get_field("reorder_point"),
        )
    # Delivery tolerances: a percentage, or empty for the company's.
    for field in ("over_delivery_tolerance", "under_delivery_tolerance"):
        if field not in values:
            continue
        if values[field] in ("", None):
            values[field] = None
            continue
        values[field] = errors.decimal(
            field, values[field], minimum=Decimal("0"), column=Product._meta.get_field(field)
        )
        if values[field] is not None and values[field] > 100:
            errors.add(field, _("Enter a percentage from 0 to 100."))
    for field in ("unit", "tax_rate"):
        if field in values and values[field] is None:
            errors.add(field, _("This field is required."))
    _own(errors, company.pk, values, ("unit", "category", "tax_rate"))
    sku = values.get("sku") or ""
    if sku and _taken(Product, company, product, sku__iexact=sku):
        errors.add("sku", _("A product with this code already exists."))


@transaction.atomic
def product_create(*, company: Company, actor, **values) -> Product:
    """Create a product (``PRODUCT_FIELDS``). The tax rate defaults to the company's default
    rate. A service (``is_stock_tracked=False``) is sold and invoiced but never reserved,
    shipped or counted in stock.

    Raises ``core.validation_failed`` with per-field errors: missing SKU, name, unit or tax
    rate, a SKU already used (case-insensitive), a negative price or cost, text too long, a
    unit, category or tax rate of another company."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    _unknown("product", values, PRODUCT_FIELDS)
    errors = FieldErrors()
    if values.get("tax_rate") is None:
        values["tax_rate"] = (
            TaxRate.objects.for_company(company).filter(is_default=True, is_active=True).first()
        )
    values.setdefault("unit", None)
    _check_product(company, values, errors, None)
    errors.raise_if_any()
    product = Product.objects.create(company=company, **values)
    audit.record(
        actor=actor,
        entity=product,
        action="create",
        changes=audit.diff({}, audit.snapshot(product, PRODUCT_FIELDS)),
    )
    return product


@transaction.atomic
def product_update(*, product: Product, actor, version: int | None = None, **changes) -> Product:
    """Change product fields. With ``version``, a stale write raises ``catalog.stale_version``
    (``details.current_version``) and changes nothing. The same checks as
    :func:`product_create`; a change to nothing writes nothing and keeps the version.
    Orders already entered keep their prices, tax and unit (lines copy them)."""
    _require(actor, product.company, Perm.PRODUCT_EDIT)
    _unknown("product", changes, PRODUCT_FIELDS)
    locked = locks.lock_product(product)
    _check_version(locked, version)
    before = audit.snapshot(locked, PRODUCT_FIELDS)
    values = {**{f: getattr(locked, f) for f in ("sku", "name")}, **changes}
    errors = FieldErrors()
    _check_product(locked.company, values, errors, locked)
    stops_tracking = changes.get("is_stock_tracked") is False and locked.is_stock_tracked
    if stops_tracking and (locked.is_kit or _kits_using(locked).exists()):
        errors.add(
            "is_stock_tracked",
            _("A kit and its components are goods: they stay stock-tracked."),
        )
    errors.raise_if_any()
    return _save_audited(
        locked,
        actor=actor,
        fields=PRODUCT_FIELDS,
        before=before,
        changes=changes,
        values=values,
        versioned=True,
    )


def product_set_active(
    *, product: Product, actor, active: bool, version: int | None = None
) -> Product:
    """Deactivate a product (no longer offered on new orders; open orders keep it) or bring
    it back. Idempotent: setting the state it has changes nothing."""
    return product_update(product=product, actor=actor, version=version, is_active=bool(active))


# ---------------------------------------------------------------- kits

MAX_KIT_COMPONENTS = 50


class KitNested(ValidationFailed):
    """The product is a component of other kits; a kit of kits is not kept (no cycles)."""

    code = "catalog.kit_nested"
    message = gettext_lazy(
        "%(sku)s is a component of the kit %(kits)s: a component cannot be a kit itself."
    )


class KitHasStock(ValidationFailed):
    """Raised by the inventory guard (``catalog.hooks``): a kit's stock is its components'."""

    code = "catalog.kit_has_stock"
    message = gettext_lazy(
        "%(sku)s has %(quantity)s on hand: a kit holds no stock of its own. Issue or move "
        "that stock first, then make it a kit."
    )


class KitNotStocked(ValidationFailed):
    code = "catalog.kit_not_stock_tracked"
    message = gettext_lazy(
        "%(sku)s is a service (not stock-tracked): only goods can be sold as a kit."
    )


def _kits_using(product: Product):
    return KitComponent.objects.for_company(product.company_id).filter(component=product)


def _lock_kit(product: Product, component_ids) -> Product:
    """Lock the kit and every named component, in primary-key order (``catalog.locks``), so
    two writers cannot make A a component of B and B a component of A at the same time."""
    rows = locks.lock_products(product.company_id, {product.pk, *component_ids})
    if product.pk not in rows:
        raise NotFound()
    return rows[product.pk]


@transaction.atomic
def product_kit_set(
    *, product: Product, actor, components: list[dict], version: int | None = None
) -> Product:
    """Replace a product's kit components: ``[{"product" | "product_id" | "sku",
    "quantity"}]`` (quantity per kit, > 0). An empty list makes it an ordinary product again.
    Orders already entered keep the components they copied.

    Refused, nothing changed: ``catalog.kit_not_stock_tracked`` (the kit is a service);
    ``catalog.kit_nested`` (the product is itself a component of a kit);
    ``catalog.kit_has_stock`` (an ordinary product with stock on hand, ``catalog.hooks``);
    ``core.validation_failed`` with ``details.lines[index][field]`` for a component that is
    unknown or of another company, the kit itself, a kit, a service, named twice, or a
    quantity that is not above zero; more than ``MAX_KIT_COMPONENTS`` rows;
    ``catalog.stale_version``. Setting the components it has writes nothing (at any version)."""
    _require(actor, product.company, Perm.PRODUCT_EDIT)
    rows = list(components or [])
    if len(rows) > MAX_KIT_COMPONENTS:
        raise ValidationFailed(
            details={
                "fields": {
                    "components": [
                        _("A kit has at most %(count)s components.") % {"count": MAX_KIT_COMPONENTS}
                    ]
                }
            }
        )
    from ordercrm.catalog.selectors import products_for_rows

    named = products_for_rows(product.company, rows, related=())
    locked = _lock_kit(product, [p.pk for p in named if p is not None])
    if rows and not locked.is_stock_tracked:
        raise KitNotStocked(params={"sku": locked.sku}, details={"product_id": str(locked.pk)})
    if rows:
        using = list(
            _kits_using(locked).select_related("kit").values_list("kit__sku", flat=True)[:5]
        )
        if using:
            raise KitNested(
                params={"sku": locked.sku, "kits": ", ".join(using)},
                details={"kits": using},
            )
    errors = RowErrors()
    wanted: list[tuple[Product, Decimal]] = []
    seen = set()
    for index, (raw, component) in enumerate(zip(rows, named, strict=True)):
        quantity = errors.quantity(
            index, raw.get("quantity"), (KitComponent, "quantity"), allow_zero=False
        )
        if component is None:
            errors.add(index, "product", _("Unknown product."))
            continue
        if component.pk == locked.pk:
            errors.add(index, "product", _("A kit cannot contain itself."))
        elif component.is_kit:
            errors.add(
                index,
                "product",
                _("%(sku)s is a kit: a kit cannot contain a kit.") % {"sku": component.sku},
            )
        elif not component.is_stock_tracked:
            errors.add(
                index,
                "product",
                _("%(sku)s is a service (not stock-tracked): components are goods.")
                % {"sku": component.sku},
            )
        elif component.pk in seen:
            errors.add(index, "product", _("This component is named twice."))
        seen.add(component.pk)
        if quantity is not None:
            wanted.append((component, quantity))
    errors.raise_if_any()
    current = list(KitComponent.objects.for_company(locked.company_id).filter(kit=locked))
    before = [(c.component_id, c.quantity) for c in current]
    after = [(c.pk, q) for c, q in wanted]
    if before == after and locked.is_kit == bool(wanted):
        # what it has already: a double click or a resubmitted form is not a conflict,
        # whichever version the page was loaded at
        return locked
    _check_version(locked, version)
    if wanted and not locked.is_kit:
        hooks.before_becoming_kit(product=locked)  # inventory: no stock on hand
    KitComponent.objects.for_company(locked.company_id).filter(kit=locked).delete()
    KitComponent.objects.bulk_create(
        [
            KitComponent(
                company_id=locked.company_id,
                kit=locked,
                component=component,
                quantity=quantity,
                position=position,
            )
            for position, (component, quantity) in enumerate(wanted, start=1)
        ]
    )
    skus = {p.pk: p.sku for p in named if p is not None}
    old_skus = (
        dict(
            Product.objects.for_company(locked.company_id)
            .filter(pk__in=[pk for pk, _q in before])
            .values_list("pk", "sku")
        )
        if before
        else {}
    )
    locked.is_kit = bool(wanted)
    locked.version += 1
    locked.save(update_fields=["is_kit", "version", "updated_at"])
    audit.record(
        actor=actor,
        entity=locked,
        action="kit_set",
        changes={
            "components": [
                [f"{old_skus.get(pk, pk)} × {q}" for pk, q in before],
                [f"{skus[pk]} × {q}" for pk, q in after],
            ]
        },
    )
    return locked


# ---------------------------------------------------------------- categories


def _check_category(company_id, values: dict, errors: FieldErrors, category=None) -> None:
    values["name"] = errors.text("name", values.get("name"), Category._meta.get_field("name"))
    errors.required("name", values["name"])
    parent = values.get("parent")
    _own(errors, company_id, values, ("parent",))
    if category is not None and parent is not None:
        # Walk up from the new parent: meeting the category itself would make a loop.
        seen, node = set(), parent
        while node is not None and node.pk not in seen:
            if node.pk == category.pk:
                errors.add("parent", _("A category cannot be inside itself."))
                break
            seen.add(node.pk)
            node = node.parent
    name = values["name"]
    if name and _taken(Category, company_id, category, name__iexact=name, parent=parent):
        errors.add("name", _("Already exists."))


@transaction.atomic
def category_create(
    *, company: Company, actor, name: str, parent: Category | None = None
) -> Category:
    """A product category, optionally inside another; names are unique per parent
    (case-insensitive). Refused with field errors: empty or duplicate name, foreign parent."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    errors = FieldErrors()
    values = {"name": name, "parent": parent}
    _check_category(company.pk, values, errors)
    errors.raise_if_any()
    category = Category.objects.create(company=company, **values)
    audit.record(
        actor=actor,
        entity=category,
        action="create",
        changes=audit.diff({}, audit.snapshot(category, CATEGORY_FIELDS)),
    )
    return category


@transaction.atomic
def category_update(*, category: Category, actor, **changes) -> Category:
    """Rename a category or move it under another parent (or to the top with ``parent=None``).
    Refused with field errors as :func:`category_create`, and moving it inside itself or one
    of its own subcategories."""
    _require(actor, category.company, Perm.PRODUCT_EDIT)
    _unknown("category", changes, CATEGORY_FIELDS)
    locked = locks.lock_category(category)
    before = audit.snapshot(locked, CATEGORY_FIELDS)
    values = {"name": locked.name, "parent": locked.parent, **changes}
    errors = FieldErrors()
    _check_category(locked.company_id, values, errors, locked)
    errors.raise_if_any()
    return _save_audited(
        locked,
        actor=actor,
        fields=CATEGORY_FIELDS,
        before=before,
        changes=changes,
        values=values,
    )


# ---------------------------------------------------------------- units


def _check_unit(company_id, values: dict, errors: FieldErrors, unit=None) -> None:
    for field in ("code", "name", "name_zh_hans", "name_zh_hant"):
        if field in values:
            values[field] = errors.text(field, values[field], Unit._meta.get_field(field))
    errors.required("code", values.get("code"))
    errors.required("name", values.get("name"))
    if "decimals" in values:
        try:
            decimals = int(values["decimals"])
        except (TypeError, ValueError):
            decimals = -1
        if not 0 <= decimals <= 4:
            errors.add("decimals", _("Enter a whole number from 0 to 4."))
        values["decimals"] = decimals
    code = values.get("code")
    if code and _taken(Unit, company_id, unit, code__iexact=code):
        errors.add("code", _("A unit with this code already exists."))


@transaction.atomic
def unit_create(
    *,
    company: Company,
    actor,
    code: str,
    name: str,
    name_zh_hans: str = "",
    name_zh_hant: str = "",
    decimals: int = 0,
) -> Unit:
    """A unit of measure with its name in English (required) and Chinese (optional: a missing
    script falls back to the other, then to English) and the decimals a quantity may have.
    Refused with field errors: empty or duplicate code (case-insensitive), empty name,
    decimals outside 0–4."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    values = {
        "code": code,
        "name": name,
        "name_zh_hans": name_zh_hans,
        "name_zh_hant": name_zh_hant,
        "decimals": decimals,
    }
    errors = FieldErrors()
    _check_unit(company.pk, values, errors)
    errors.raise_if_any()
    unit = Unit.objects.create(company=company, **values)
    audit.record(
        actor=actor,
        entity=unit,
        action="create",
        changes=audit.diff({}, audit.snapshot(unit, UNIT_FIELDS)),
    )
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, actor, **changes) -> Unit:
    """Rename a unit (in any language), change its code or its quantity decimals. Order
    lines keep their quantities; the decimals bound quantities entered from now on."""
    _require(actor, unit.company, Perm.PRODUCT_EDIT)
    _unknown("unit", changes, UNIT_FIELDS)
    locked = locks.lock_unit(unit)
    before = audit.snapshot(locked, UNIT_FIELDS)
    values = {"code": locked.code, "name": locked.name, **changes}
    errors = FieldErrors()
    _check_unit(locked.company_id, values, errors, locked)
    errors.raise_if_any()
    return _save_audited(
        locked, actor=actor, fields=UNIT_FIELDS, before=before, changes=changes, values=values
    )


# ---------------------------------------------------------------- tax rates


def _check_tax_rate(company_id, values: dict, errors: FieldErrors, tax_rate=None) -> None:
    if "name" in values:
        values["name"] = errors.text("name", values["name"], TaxRate._meta.get_field("name"))
        errors.required("name", values["name"])
        if values["name"] and _taken(TaxRate, company_id, tax_rate, name=values["name"]):
            errors.add("name", _("A tax rate with this name exists."))
    if "rate" in values:
        try:
            rate = bounded_decimal(values["rate"], TaxRate, "rate")
        except (TypeError, ValueError) as error:
            errors.add("rate", invalid_reason(error))
        else:
            if not 0 <= rate < 100:
                errors.add("rate", _("Enter a percentage between 0 and 100."))
            values["rate"] = rate
    if values.get("is_default") and values.get("is_active") is False:
        errors.add("is_active", _("The default tax rate cannot be inactive."))


def _take_default(model, company_id, keep_pk=None, **scope) -> None:
    """Clear the default flag of the other rows (one default per company or currency)."""
    others = model.objects.for_company(company_id).filter(is_default=True, **scope)
    if keep_pk is not None:
        others = others.exclude(pk=keep_pk)
    others.update(is_default=False)


@transaction.atomic
def tax_rate_create(*, company: Company, actor, name: str, rate, is_default: bool = False):
    """A tax rate (percent, 0 to under 100) under a unique name; the default one is what new
    products get. Making one the default takes it from the previous default."""
    _require(actor, company, Perm.SETTINGS_EDIT)
    errors = FieldErrors()
    values = {"name": name, "rate": rate, "is_default": bool(is_default)}
    _check_tax_rate(company.pk, values, errors)
    errors.raise_if_any()
    if is_default:
        _take_default(TaxRate, company.pk)
    tax_rate = TaxRate.objects.create(company=company, **values)
    audit.record(
        actor=actor, entity=tax_rate, action="create", changes={"rate": [None, tax_rate.rate]}
    )
    return tax_rate


@transaction.atomic
def tax_rate_update(*, tax_rate: TaxRate, actor, **changes) -> TaxRate:
    """Rename a tax rate, change its percentage, make it the default or (de)activate it.
    Order lines keep the percentage they were priced with. The default rate stays the
    default and active: un-defaulting or deactivating it is refused (``is_default``,
    ``is_active``); make another the default instead."""
    _require(actor, tax_rate.company, Perm.SETTINGS_EDIT)
    _unknown("tax rate", changes, TAX_RATE_FIELDS)
    locked = locks.lock_tax_rate(tax_rate)
    before = audit.snapshot(locked, TAX_RATE_FIELDS)
    values = {"is_default": locked.is_default, "is_active": locked.is_active, **changes}
    errors = FieldErrors()
    _check_tax_rate(locked.company_id, values, errors, locked)
    if locked.is_default and not values["is_default"]:
        # New products take the default rate; a company is never left without one.
        errors.add("is_default", _("Make another tax rate the default instead."))
    errors.raise_if_any()
    if values["is_default"] and not locked.is_default:
        _take_default(TaxRate, locked.company_id, keep_pk=locked.pk)
    return _save_audited(
        locked, actor=actor, fields=TAX_RATE_FIELDS, before=before, changes=changes, values=values
    )


# ---------------------------------------------------------------- price lists


def _check_price_list(company_id, values: dict, errors: FieldErrors, price_list=None) -> None:
    if "name" in values:
        values["name"] = errors.text("name", values["name"], PriceList._meta.get_field("name"))
        errors.required("name", values["name"])
        if values["name"] and _taken(
            PriceList, company_id, price_list, name__iexact=values["name"]
        ):
            errors.add("name", _("Already exists."))
    if "currency" in values:
        values["currency"] = _check_currency(errors, values["currency"])
    _check_dates(errors, values)
    if values.get("is_default") and values.get("is_active") is False:
        errors.add("is_active", _("The default price list of a currency cannot be inactive."))


@transaction.atomic
def price_list_create(
    *,
    company: Company,
    actor,
    name: str,
    currency: str,
    is_default: bool = False,
    is_active: bool = True,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> PriceList:
    """A price list in one currency, valid between optional dates (outside them pricing skips
    it). Making it the default for its currency demotes the previous default. Refused with
    field errors: empty or duplicate name, a currency that is not ISO 4217, an end before the
    start, an inactive default."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    values = {
        "name": name,
        "currency": currency,
        "is_default": bool(is_default),
        "is_active": bool(is_active),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    errors = FieldErrors()
    _check_price_list(company.pk, values, errors)
    errors.raise_if_any()
    if values["is_default"]:
        _take_default(PriceList, company.pk, currency=values["currency"])
    price_list = PriceList.objects.create(company=company, **values)
    audit.record(
        actor=actor,
        entity=price_list,
        action="create",
        changes=audit.diff({}, audit.snapshot(price_list, PRICE_LIST_FIELDS)),
    )
    return price_list


def _assigned_customers(price_list: PriceList) -> int:
    """How many customers buy from this list. Customers sit above the catalog, so this reads
    the relation Django declares on the list rather than importing the customer model."""
    relation = next(
        (
            r
            for r in PriceList._meta.related_objects
            if r.related_model._meta.label_lower == "customers.customer"
        ),
        None,
    )
    if relation is None:
        return 0
    return (
        relation.related_model.objects.for_company(price_list.company_id)
        .filter(**{relation.field.name: price_list})
        .count()
    )


@transaction.atomic
def price_list_update(
    *, price_list: PriceList, actor, version: int | None = None, **changes
) -> PriceList:
    """Rename a price list, change its dates, activity or default flag, or its currency.
    With ``version`` a stale write raises ``catalog.stale_version``. The currency of a list
    that has prices or customers is fixed (``currency``): its prices are in that currency and
    its customers buy in it."""
    _require(actor, price_list.company, Perm.PRODUCT_EDIT)
    _unknown("price list", changes, PRICE_LIST_FIELDS)
    locked = locks.lock_price_list(price_list)
    _check_version(locked, version)
    before = audit.snapshot(locked, PRICE_LIST_FIELDS)
    values = {
        **{f: getattr(locked, f) for f in ("is_default", "is_active", "valid_from", "valid_to")},
        **changes,
    }
    errors = FieldErrors()
    _check_price_list(locked.company_id, values, errors, locked)
    currency = values.get("currency", locked.currency)
    if (
        currency != locked.currency
        and "currency" not in errors.fields
        and (locked.items.exists() or _assigned_customers(locked))
    ):
        errors.add(
            "currency", _("The currency cannot change while the list has prices or customers.")
        )
    errors.raise_if_any()
    if values["is_default"] and (not locked.is_default or currency != locked.currency):
        _take_default(PriceList, locked.company_id, keep_pk=locked.pk, currency=currency)
    return _save_audited(
        locked,
        actor=actor,
        fields=PRICE_LIST_FIELDS,
        before=before,
        changes=changes,
        values=values,
        versioned=True,
    )


def _check_item(price_list: PriceList, values: dict, errors: FieldErrors) -> None:
    if "unit_price" in values:
        values["unit_price"] = errors.decimal(
            "unit_price",
            values["unit_price"],
            minimum=Decimal("0"),
            column=PriceListItem._meta.get_field("unit_price"),
        )
    if "min_quantity" in values:
        values["min_quantity"] = errors.decimal(
            "min_quantity",
            Decimal("0") if values["min_quantity"] in (None, "") else values["min_quantity"],
            minimum=Decimal("0"),
            column=PriceListItem._meta.get_field("min_quantity"),
        )
    _check_dates(errors, values)


def _item_label(item: PriceListItem, product: Product) -> str:
    label = f"{product.sku}@{audit.json_value(item.min_quantity.normalize())}"
    return f"{label}/{item.valid_from.isoformat()}" if item.valid_from else label


@transaction.atomic
def price_list_item_set(
    *,
    price_list: PriceList,
    product: Product,
    unit_price,
    actor,
    min_quantity=Decimal("0"),
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> PriceListItem:
    """Set the price of ``product`` from ``min_quantity`` up in ``price_list``: create or
    update by the natural key (price list, product, minimum quantity, valid-from — empty for
    an undated price; a dated row is a separate, time-limited price at that tier).

    Idempotent: the same values again change nothing and write no audit entry. The returned
    item carries ``outcome``: ``"created"``, ``"updated"`` or ``"unchanged"`` (the importer
    counts them). Refused with field errors: a negative or malformed price or quantity, a
    product of another company, an end before the start."""
    _require(actor, price_list.company, Perm.PRODUCT_EDIT)
    locked = locks.lock_price_list(price_list)
    values = {
        "unit_price": unit_price,
        "min_quantity": min_quantity,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    errors = FieldErrors()
    _check_item(locked, values, errors)
    if product.company_id != locked.company_id:
        errors.add("product", _("Not in this company."))
    errors.raise_if_any()
    item = (
        PriceListItem.objects.for_company(locked.company_id)
        .filter(
            price_list=locked,
            product=product,
            min_quantity=values["min_quantity"],
            valid_from=values["valid_from"],
        )
        .first()
    )
    if item is None:
        item = PriceListItem.objects.create(
            company_id=locked.company_id, price_list=locked, product=product, **values
        )
        # as the column stores them (10 → 10.0000), without reading the row back
        for name in ("min_quantity", "unit_price"):
            places = PriceListItem._meta.get_field(name).decimal_places
            setattr(item, name, getattr(item, name).quantize(Decimal(1).scaleb(-places)))
        audit.record(
            actor=actor,
            entity=locked,
            action="set_price",
            changes={_item_label(item, product): [None, audit.json_value(item.unit_price)]},
        )
        item.outcome = "created"
        return item
    before = (item.unit_price, item.valid_to)
    if before == (values["unit_price"], values["valid_to"]):
        item.outcome = "unchanged"
        return item
    item.unit_price, item.valid_to = values["unit_price"], values["valid_to"]
    item.save(update_fields=["unit_price", "valid_to", "updated_at"])
    audit.record(
        actor=actor,
        entity=locked,
        action="set_price",
        changes={
            _item_label(item, product): [
                audit.json_value(before[0]),
                audit.json_value(item.unit_price),
            ]
        },
    )
    item.outcome = "updated"
    return item


# The name the earlier code (demo, benchmarks, tests) calls it by.
price_list_set_price = price_list_item_set


@transaction.atomic
def price_list_item_update(*, item: PriceListItem, actor, **changes) -> PriceListItem:
    """Change one tier in place: its minimum quantity, price or dates. Moving it onto another
    tier of the same product (same minimum quantity and valid-from) is refused
    (``min_quantity``): edit that tier instead."""
    _require(actor, item.company, Perm.PRODUCT_EDIT)
    _unknown("price list item", changes, PRICE_LIST_ITEM_FIELDS)
    price_list = locks.lock_price_list(item.price_list)
    row = (
        PriceListItem.objects.for_company(price_list.company_id)
        .filter(pk=item.pk, price_list=price_list)
        .select_related("product")
        .first()
    )
    if row is None:
        raise NotFound()
    values = {
        **{f: getattr(row, f) for f in ("valid_from", "valid_to")},
        **changes,
    }
    errors = FieldErrors()
    _check_item(price_list, values, errors)
    errors.raise_if_any()
    key = {
        "min_quantity": values.get("min_quantity", row.min_quantity),
        "valid_from": values["valid_from"],
    }
    if (
        PriceListItem.objects.for_company(price_list.company_id)
        .filter(price_list=price_list, product_id=row.product_id, **key)
        .exclude(pk=row.pk)
        .exists()
    ):
        errors.add("min_quantity", _("This product already has a price from this quantity."))
        errors.raise_if_any()
    fields = PRICE_LIST_ITEM_FIELDS
    before = audit.snapshot(row, fields)
    for field in changes:
        setattr(row, field, values[field])
    changed = audit.diff(before, audit.snapshot(row, fields))
    if changed:
        row.save()
        audit.record(
            actor=actor,
            entity=price_list,
            action="update_price",
            changes={f"{row.product.sku}.{name}": pair for name, pair in changed.items()},
        )
    return row


@transaction.atomic
def price_list_item_remove(*, item: PriceListItem, actor) -> None:
    """Remove one tier from its price list (audited with the price it had). Pricing falls
    back to the next lower tier, the default list, or the list price."""
    _require(actor, item.company, Perm.PRODUCT_EDIT)
    price_list = locks.lock_price_list(item.price_list)
    row = (
        PriceListItem.objects.for_company(price_list.company_id)
        .filter(pk=item.pk, price_list=price_list)
        .select_related("product")
        .first()
    )
    if row is None:
        raise NotFound()
    audit.record(
        actor=actor,
        entity=price_list,
        action="remove_price",
        changes={_item_label(row, row.product): [audit.json_value(row.unit_price), None]},
    )
    row.delete()


# ---------------------------------------------------------------- price rules


class PriceRuleCurrency(ValidationFailed):
    code = "catalog.price_rule_currency"
    message = gettext_lazy(
        "A price rule computes from list prices and costs, which are in the company's currency "
        "%(currency)s: add it to a price list in that currency."
    )


def _check_rule(price_list: PriceList, values: dict, errors: FieldErrors) -> None:
    if "name" in values:
        values["name"] = errors.text(
            "name", values["name"] or "", PriceRule._meta.get_field("name")
        )
    if "base" in values and values["base"] not in PriceBase.values:
        errors.add("base", _("Choose list price or cost."))
    bounds = {
        "markup_percent": Decimal("-100"),
        "rounding": Decimal("0"),
        "surcharge": None,
        "min_quantity": Decimal("0"),
    }
    for field, minimum in bounds.items():
        if field in values:
            value = Decimal("0") if values[field] in (None, "") else values[field]
            values[field] = errors.decimal(
                field, value, minimum=minimum, column=PriceRule._meta.get_field(field)
            )
    _check_dates(errors, values)
    _own(errors, price_list.company_id, values, ("product", "category"))
    if values.get("product") is not None and values.get("category") is not None:
        errors.add("category", _("A rule names a product or a category, not both."))
    if "is_active" in values:
        values["is_active"] = bool(values["is_active"])


class PriceRuleDuplicate(ValidationFailed):
    code = "catalog.price_rule_duplicate"
    message = gettext_lazy(
        "This price list already has the same rule (“%(name)s”): same products, base, "
        "markup, rounding, surcharge, quantity and dates."
    )


# What a rule computes and for what; two rules alike in all of it price nothing differently.
_RULE_EFFECT = [f for f in PRICE_RULE_FIELDS if f not in ("name", "is_active")]


def _refuse_twin(price_list: PriceList, values: dict, exclude=None) -> None:
    """A rule the list already has (a double post, a form sent twice from two tabs) is
    refused with the existing one's name. The caller holds the list's lock, so two twins
    posted at once are serialized and the second sees the first."""
    model_defaults = {f: PriceRule._meta.get_field(f).get_default() for f in _RULE_EFFECT}
    wanted = {f: values.get(f, model_defaults[f]) for f in _RULE_EFFECT}
    twins = PriceRule.objects.for_company(price_list.company_id).filter(
        price_list=price_list, **wanted
    )
    if exclude is not None:
        twins = twins.exclude(pk=exclude.pk)
    twin = twins.first()
    if twin is not None:
        raise PriceRuleDuplicate(
            params={"name": twin.name or str(twin.pk)}, details={"rule_id": str(twin.pk)}
        )


def _rule_label(rule: PriceRule) -> str:
    return f"rule:{rule.pk}"


@transaction.atomic
def price_rule_create(*, price_list: PriceList, actor, **values) -> PriceRule:
    """Add a price rule to a price list (``PriceRule`` says what it computes,
    ``catalog.pricing`` which rule wins). Only in a list of the company's base currency
    (``catalog.price_rule_currency``); field errors for a markup below −100 %, a negative
    rounding step or quantity, an end before the start, a product or category of another
    company, or both a product and a category. A rule the list already has (the same in all
    but its name: a double post, the form sent from two tabs) is
    ``catalog.price_rule_duplicate``."""
    _require(actor, price_list.company, Perm.PRODUCT_EDIT)
    _unknown("price rule", values, PRICE_RULE_FIELDS)
    locked = locks.lock_price_list(price_list)
    company = locked.company
    if locked.currency != company.base_currency:
        raise PriceRuleCurrency(params={"currency": company.base_currency})
    errors = FieldErrors()
    _check_rule(locked, values, errors)
    errors.raise_if_any()
    _refuse_twin(locked, values)
    rule = PriceRule.objects.create(company_id=locked.company_id, price_list=locked, **values)
    audit.record(
        actor=actor,
        entity=locked,
        action="add_rule",
        changes={_rule_label(rule): [None, audit.snapshot(rule, PRICE_RULE_FIELDS)]},
    )
    return rule


def _locked_rule(rule: PriceRule) -> tuple[PriceList, PriceRule]:
    price_list = locks.lock_price_list(rule.price_list)
    row = (
        PriceRule.objects.for_company(price_list.company_id)
        .filter(pk=rule.pk, price_list=price_list)
        .first()
    )
    if row is None:
        raise NotFound()
    return price_list, row


@transaction.atomic
def price_rule_update(*, rule: PriceRule, actor, **changes) -> PriceRule:
    """Change a price rule (the same checks as ``price_rule_create``). Orders already priced
    keep their prices; drafts take the new price when their lines are priced again."""
    _require(actor, rule.company, Perm.PRODUCT_EDIT)
    _unknown("price rule", changes, PRICE_RULE_FIELDS)
    price_list, row = _locked_rule(rule)
    values = {
        **{f: getattr(row, f) for f in ("valid_from", "valid_to", "product", "category")},
        **changes,
    }
    errors = FieldErrors()
    _check_rule(price_list, values, errors)
    errors.raise_if_any()
    before = audit.snapshot(row, PRICE_RULE_FIELDS)
    for field in changes:
        setattr(row, field, values[field])
    changed = audit.diff(before, audit.snapshot(row, PRICE_RULE_FIELDS))
    if changed:
        row.save()
        audit.record(
            actor=actor,
            entity=price_list,
            action="update_rule",
            changes={f"{_rule_label(row)}.{name}": pair for name, pair in changed.items()},
        )
    return row


@transaction.atomic
def price_rule_remove(*, rule: PriceRule, actor) -> None:
    """Remove a price rule (audited with what it was). Order lines it priced keep their price
    and forget the rule."""
    _require(actor, rule.company, Perm.PRODUCT_EDIT)
    price_list, row = _locked_rule(rule)
    audit.record(
        actor=actor,
        entity=price_list,
        action="remove_rule",
        changes={_rule_label(row): [audit.snapshot(row, PRICE_RULE_FIELDS), None]},
    )
    row.delete()


# ---------------------------------------------------------------- exchange rates


@transaction.atomic
def exchange_rate_set(*, company: Company, actor, currency: str, date, rate):
    """Set the company's rate for ``currency`` from ``date`` on (finance: the
    ``exchange_rate_edit`` permission). Setting a date again replaces its rate; the old and
    new rates are in the audit entry. Orders already confirmed keep the rate they were
    confirmed at.

    Refused with ``core.validation_failed``: the company's own currency, a code that is not
    ISO 4217, a date that is not a date, a rate that is not a number in
    (0, ``MAX_EXCHANGE_RATE``] or has more than 8 decimals."""
    access_for(actor, company).require(Perm.EXCHANGE_RATE_EDIT)
    errors = FieldErrors()
    currency = str(currency or "").strip().upper()
    if currency not in list_currencies():
        errors.add("currency", _("Enter a three-letter ISO currency code."))
    elif currency == company.base_currency:
        errors.add("currency", _("The company currency always has the rate 1."))
    if isinstance(date, str):
        try:
            date = datetime.date.fromisoformat(date.strip())
        except ValueError:
            date = None
    if not isinstance(date, datetime.date):
        errors.add("date", _("Enter a date (YYYY-MM-DD)."))
    value = errors.decimal("rate", rate)
    if value is not None:
        if not Decimal(0) < value <= MAX_EXCHANGE_RATE:
            errors.add(
                "rate",
                _("Enter a rate above 0 and at most %(maximum)s.") % {"maximum": MAX_EXCHANGE_RATE},
            )
        elif value != value.quantize(Decimal("0.00000001")):
            errors.add("rate", _("Use at most 8 decimals."))
    errors.raise_if_any()
    existing = (
        ExchangeRate.objects.for_company(company)
        .select_for_update()
        .filter(currency=currency, date=date)
        .first()
    )
    before = str(existing.rate.normalize()) if existing else None
    if existing is None:
        row = ExchangeRate.objects.create(
            company=company, currency=currency, date=date, rate=value, set_by=actor
        )
    else:
        row = existing
        row.rate, row.set_by = value, actor
        row.save(update_fields=["rate", "set_by", "updated_at"])
    audit.record(
        actor=actor,
        entity=row,
        action="create" if existing is None else "update",
        changes={
            "currency": [None, currency] if existing is None else [currency, currency],
            "date": [None, date.isoformat()] if existing is None else [date.isoformat()] * 2,
            "rate": [before, str(value.normalize())],
        },
    )
    return row


@transaction.atomic
def exchange_rate_delete(*, rate, actor) -> None:
    """Remove one rate row (finance). Confirmed orders keep their rate; drafts and pending
    orders of that date take the rate in force before it, or are refused at submission with
    ``sales.exchange_rate_missing`` if none is left."""
    access_for(actor, rate.company).require(Perm.EXCHANGE_RATE_EDIT)
    row = ExchangeRate.objects.for_company(rate.company_id).filter(pk=rate.pk).first()
    if row is None:
        raise NotFound()
    audit.record(
        actor=actor,
        entity=row,
        action="delete",
        changes={
            "currency": [row.currency, None],
            "date": [row.date.isoformat(), None],
            "rate": [str(row.rate.normalize()), None],
        },
    )
    row.delete()


# ---------------------------------------------------------------- tax mappings


def _mapping_rules(
    company, rules, errors: FieldErrors, kept=frozenset()
) -> list[tuple[TaxRate, TaxRate]]:
    """``rules``: ``(from_rate, to_rate)`` pairs of the company's tax rates (objects or ids);
    one rule per rate, a rate not mapped onto itself, and active rates only, except in a rule
    the mapping already has (``kept``: its ``(from_id, to_id)`` pairs), which may stay as it is
    after one of its rates was switched off. A rate of another company is unknown here."""
    import uuid

    def key(rate):
        try:
            return uuid.UUID(str(getattr(rate, "pk", rate)))
        except (TypeError, ValueError, AttributeError):
            return None  # not an id: unknown, like another company's rate

    rules = [(key(source), key(target)) for source, target in rules]
    ids = {pk for pair in rules for pk in pair if pk is not None}
    rates = {r.pk: r for r in TaxRate.objects.for_company(company).filter(pk__in=ids)}
    pairs, seen = [], set()
    for index, (source, target) in enumerate(rules):
        source, target = rates.get(source), rates.get(target)
        if source is None or target is None:
            errors.add("rules", _("Rule %(n)s: choose two tax rates.") % {"n": index + 1})
        elif source.pk == target.pk:
            errors.add("rules", _("Rule %(n)s maps a rate onto itself.") % {"n": index + 1})
        elif source.pk in seen:
            errors.add(
                "rules",
                _("Rule %(n)s: %(rate)s is mapped twice.") % {"n": index + 1, "rate": source},
            )
        elif (source.pk, target.pk) not in kept and not (source.is_active and target.is_active):
            inactive = source if not source.is_active else target
            errors.add(
                "rules",
                _("Rule %(n)s: %(rate)s is inactive.") % {"n": index + 1, "rate": inactive},
            )
        else:
            seen.add(source.pk)
            pairs.append((source, target))
    return pairs


def _rule_texts(pairs) -> list[str]:
    return [f"{a} → {b}" for a, b in pairs]


class TaxMappingInUse(Conflict):
    """``details["customers"]``: how many customers have the mapping."""

    code = "catalog.tax_mapping_in_use"
    message = gettext_lazy(
        "Customers still have this tax mapping; give them another or switch it off instead."
    )


@transaction.atomic
def tax_mapping_create(
    *, company: Company, actor, name: str, rules=(), is_active: bool = True
) -> TaxMapping:
    """A tax mapping (e.g. "Export": 13 % → 0 %) under a unique name; customers who have it get
    the mapped rate on their order lines (``settings_edit``). Field errors (``name``,
    ``rules``) as ``core.validation_failed``; nothing is written on a refusal."""
    _require(actor, company, Perm.SETTINGS_EDIT)
    errors = FieldErrors()
    name = (name or "").strip()[:64]
    errors.required("name", name)
    if name and _taken(TaxMapping, company, name__iexact=name):
        errors.add("name", _("A tax mapping with this name already exists."))
    pairs = _mapping_rules(company, list(rules), errors)
    errors.raise_if_any()
    mapping = TaxMapping.objects.create(company=company, name=name, is_active=bool(is_active))
    TaxMappingRule.objects.bulk_create(
        [TaxMappingRule(company=company, mapping=mapping, from_rate=a, to_rate=b) for a, b in pairs]
    )
    audit.record(
        actor=actor,
        entity=mapping,
        action="create",
        changes={
            "name": [None, name],
            "is_active": [None, mapping.is_active],
            "rules": [None, _rule_texts(pairs)],
        },
    )
    return mapping


@transaction.atomic
def tax_mapping_update(
    *,
    mapping: TaxMapping,
    actor,
    name: str | None = None,
    rules=None,
    is_active=None,
    version: int | None = None,
) -> TaxMapping:
    """Rename, (de)activate or replace the rules of a tax mapping (``settings_edit``; the
    same field errors as ``tax_mapping_create``). Orders already priced keep their rates;
    drafts take the change when they are edited again. With ``version``, a write based on
    an older one is ``catalog.stale_version``; what changes nothing is no conflict."""
    _require(actor, mapping.company, Perm.SETTINGS_EDIT)
    locked = locks.lock_tax_mapping(mapping)
    current = list(
        TaxMappingRule.objects.for_company(locked.company_id)
        .filter(mapping=locked)
        .select_related("from_rate", "to_rate")
        .order_by("from_rate__rate", "from_rate__name")
    )
    errors = FieldErrors()
    changes = {}
    if name is not None:
        name = name.strip()[:64]
        errors.required("name", name)
        if name and _taken(TaxMapping, locked.company_id, locked, name__iexact=name):
            errors.add("name", _("A tax mapping with this name already exists."))
        if name != locked.name:
            changes["name"] = [locked.name, name]
    kept = frozenset((r.from_rate_id, r.to_rate_id) for r in current)
    pairs = (
        _mapping_rules(locked.company_id, list(rules), errors, kept) if rules is not None else None
    )
    errors.raise_if_any()
    switches = is_active is not None and bool(is_active) != locked.is_active
    replaces_rules = pairs is not None and {(a.pk, b.pk) for a, b in pairs} != kept
    if changes or switches or replaces_rules:
        _check_version(locked, version)
    if name is not None:
        locked.name = name
    if switches:
        changes["is_active"] = [locked.is_active, bool(is_active)]
        locked.is_active = bool(is_active)
    if replaces_rules:
        TaxMappingRule.objects.for_company(locked.company_id).filter(mapping=locked).delete()
        TaxMappingRule.objects.bulk_create(
            [
                TaxMappingRule(company_id=locked.company_id, mapping=locked, from_rate=a, to_rate=b)
                for a, b in pairs
            ]
        )
        before = _rule_texts((r.from_rate, r.to_rate) for r in current)
        changes["rules"] = [before, _rule_texts(pairs)]
    if changes:
        locked.version += 1
        locked.save()
        audit.record(actor=actor, entity=locked, action="update", changes=changes)
    return locked


@transaction.atomic
def tax_mapping_remove(*, mapping: TaxMapping, actor) -> None:
    """Delete a tax mapping and its rules (``settings_edit``), audited with what it was. One
    a customer still has is refused with ``catalog.tax_mapping_in_use`` (the customer's
    reference protects it in the schema); switching it off is the way out of use."""
    from django.db.models import ProtectedError

    _require(actor, mapping.company, Perm.SETTINGS_EDIT)
    locked = locks.lock_tax_mapping(mapping)
    rules = _rule_texts(
        (r.from_rate, r.to_rate)
        for r in TaxMappingRule.objects.for_company(locked.company_id)
        .filter(mapping=locked)
        .select_related("from_rate", "to_rate")
        .order_by("from_rate__rate", "from_rate__name")
    )
    name, pk = locked.name, locked.pk
    try:
        with transaction.atomic():
            locked.delete()
    except ProtectedError as exc:
        raise TaxMappingInUse(details={"customers": len(exc.protected_objects)}) from None
    locked.pk = pk  # the audit entry names the row that was
    audit.record(
        actor=actor,
        entity=locked,
        action="delete",
        changes={"name": [name, None], "rules": [rules, None]},
    )
