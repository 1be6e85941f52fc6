"""Write use cases for the catalog: defaults, products, categories, price lists and tiers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel.numbers import list_currencies
from django.db import transaction
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.catalog.models import (
    MAX_EXCHANGE_RATE,
    Category,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    TaxRate,
    Unit,
)
from ordercrm.core import audit
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason

# China's VAT rates as of 2026: general 13 %, reduced 9 % and 6 %, zero-rated exports.
CHINA_TAX_RATES = [
    ("VAT 13%", Decimal("13"), True),
    ("VAT 9%", Decimal("9"), False),
    ("VAT 6%", Decimal("6"), False),
    ("VAT 0%", Decimal("0"), False),
]
DEFAULT_UNITS = [
    ("pcs", "pcs", 0),
    ("box", "box", 0),
    ("set", "set", 0),
    ("kg", "kg", 3),
    ("m", "m", 2),
    ("mm", "mm", 0),
    ("l", "L", 3),
    ("h", "h", 2),
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
    "reorder_point",
]


def _require(actor, company, perm) -> None:
    if actor is not None:
        access_for(actor, company).require(perm)


@transaction.atomic
def catalog_setup_defaults(*, company: Company) -> None:
    """Give a new company China's VAT rates and common units; running it again adds nothing."""
    for name, rate, is_default in CHINA_TAX_RATES:
        TaxRate.objects.get_or_create(
            company=company, name=name, defaults={"rate": rate, "is_default": is_default}
        )
    for code, name, decimals in DEFAULT_UNITS:
        Unit.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "decimals": decimals}
        )


def _check_product(
    company: Company, values: dict, errors: FieldErrors, product: Product | None
) -> None:
    errors.required("sku", values.get("sku"))
    errors.required("name", values.get("name"))
    for field in ("list_price", "cost"):
        if field in values:
            values[field] = errors.decimal(
                field, values[field], minimum=Decimal("0"), column=Product._meta.get_field(field)
            )
    for field in ("unit", "category", "tax_rate"):
        related = values.get(field)
        if related is not None and related.company_id != company.pk:
            errors.add(field, _("Not in this company."))
    sku = (values.get("sku") or "").strip()
    if sku:
        values["sku"] = sku
        clash = Product.objects.for_company(company).filter(sku__iexact=sku)
        if product is not None:
            clash = clash.exclude(pk=product.pk)
        if clash.exists():
            errors.add("sku", _("A product with this code already exists."))


@transaction.atomic
def product_create(*, company: Company, actor, **values) -> Product:
    """Create a product. Raises ``core.validation_failed`` with per-field errors
    (missing SKU or name, duplicate SKU, negative price or cost, foreign unit/tax rate)."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    errors = FieldErrors()
    values.setdefault(
        "tax_rate", TaxRate.objects.for_company(company).filter(is_default=True).first()
    )
    if values.get("unit") is None:
        errors.add("unit", _("This field is required."))
    if values.get("tax_rate") is None:
        errors.add("tax_rate", _("This field is required."))
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
def product_update(*, product: Product, actor, **changes) -> Product:
    _require(actor, product.company, Perm.PRODUCT_EDIT)
    product = Product.objects.for_company(product.company_id).select_for_update().get(pk=product.pk)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    before = audit.snapshot(product, PRODUCT_FIELDS)
    values = {**{f: getattr(product, f) for f in ("sku", "name")}, **changes}
    errors = FieldErrors()
    _check_product(product.company, values, errors, product)
    errors.raise_if_any()
    for field in changes:
        setattr(product, field, values[field])
    product.save()
    changed = audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS))
    if changed:
        audit.record(actor=actor, entity=product, action="update", changes=changed)
    return product


@transaction.atomic
def category_create(
    *, company: Company, actor, name: str, parent: Category | None = None
) -> Category:
    _require(actor, company, Perm.PRODUCT_EDIT)
    errors = FieldErrors()
    errors.required("name", name)
    if parent is not None and parent.company_id != company.pk:
        errors.add("parent", _("Not in this company."))
    if Category.objects.for_company(company).filter(name=name, parent=parent).exists():
        errors.add("name", _("Already exists."))
    errors.raise_if_any()
    return Category.objects.create(company=company, name=name.strip(), parent=parent)


@transaction.atomic
def price_list_create(
    *,
    company: Company,
    actor,
    name: str,
    currency: str,
    is_default: bool = False,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> PriceList:
    """Create a price list; making it the default for its currency demotes the previous one."""
    _require(actor, company, Perm.PRODUCT_EDIT)
    errors = FieldErrors()
    errors.required("name", name)
    currency = (currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        errors.add("currency", _("Enter a three-letter ISO currency code."))
    if valid_from and valid_to and valid_to < valid_from:
        errors.add("valid_to", _("Must not be before the start date."))
    if PriceList.objects.for_company(company).filter(name=name).exists():
        errors.add("name", _("Already exists."))
    errors.raise_if_any()
    if is_default:
        PriceList.objects.for_company(company).filter(currency=currency, is_default=True).update(
            is_default=False
        )
    price_list = PriceList.objects.create(
        company=company,
        name=name,
        currency=currency,
        is_default=is_default,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    audit.record(
        actor=actor,
        entity=price_list,
        action="create",
        changes={"name": [None, name], "currency": [None, currency]},
    )
    return price_list


@transaction.atomic
def price_list_set_price(
    *,
    price_list: PriceList,
    product: Product,
    unit_price,
    actor,
    min_quantity=Decimal("0"),
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> PriceListItem:
    """Set the price of ``product`` from ``min_quantity`` up in ``price_list`` (insert or replace)."""
    _require(actor, price_list.company, Perm.PRODUCT_EDIT)
    errors = FieldErrors()
    price = errors.decimal(
        "unit_price",
        unit_price,
        minimum=Decimal("0"),
        column=PriceListItem._meta.get_field("unit_price"),
    )
    quantity = errors.decimal(
        "min_quantity",
        min_quantity,
        minimum=Decimal("0"),
        column=PriceListItem._meta.get_field("min_quantity"),
    )
    if product.company_id != price_list.company_id:
        errors.add("product", _("Not in this company."))
    if valid_from and valid_to and valid_to < valid_from:
        errors.add("valid_to", _("Must not be before the start date."))
    errors.raise_if_any()
    item = (
        PriceListItem.objects.for_company(price_list.company_id)
        .select_for_update()
        .filter(
            price_list=price_list, product=product, min_quantity=quantity, valid_from=valid_from
        )
        .first()
    )
    before = audit.json_value(item.unit_price) if item else None
    if item is None:
        item = PriceListItem.objects.create(
            company_id=price_list.company_id,
            price_list=price_list,
            product=product,
            min_quantity=quantity,
            unit_price=price,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    else:
        item.unit_price, item.valid_to = price, valid_to
        item.save(update_fields=["unit_price", "valid_to", "updated_at"])
    audit.record(
        actor=actor,
        entity=price_list,
        action="set_price",
        changes={f"{product.sku}@{quantity}": [before, audit.json_value(price)]},
    )
    return item


@transaction.atomic
def tax_rate_create(*, company: Company, actor, name: str, rate, is_default: bool = False):
    """A tax rate (percent, 0–100) under a unique name; the default one is what new products
    get. Making one the default takes it from the previous default."""

    _require(actor, company, Perm.SETTINGS_EDIT)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif TaxRate.objects.for_company(company).filter(name=name).exists():
        errors["name"] = [_("A tax rate with this name exists.")]
    try:
        rate = bounded_decimal(rate, TaxRate, "rate")
        if not 0 <= rate <= 100:
            errors["rate"] = [_("Enter a percentage between 0 and 100.")]
    except (TypeError, ValueError) as error:
        errors["rate"] = [invalid_reason(error)]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    if is_default:
        TaxRate.objects.for_company(company).filter(is_default=True).update(is_default=False)
    tax_rate = TaxRate.objects.create(company=company, name=name, rate=rate, is_default=is_default)
    audit.record(actor=actor, entity=tax_rate, action="create", changes={"rate": [None, rate]})
    return tax_rate


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
