"""Write use cases of sales orders: create, edit, lifecycle transitions, amendments, fast entry.

Every service locks the order first, checks the transition table and guards, writes the change,
one audit entry and one outbox event, all in one transaction. Query counts do not depend on the
number of lines: lines are read once, priced in one batch and written with bulk statements.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import operator
import re
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import Access, access_for
from ordercrm.catalog.models import MAX_EXCHANGE_RATE, Product
from ordercrm.catalog.pricing import NoPrice, prices_for
from ordercrm.catalog.selectors import exchange_rate_on
from ordercrm.core import audit, events
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.models import CreditPolicy, ShippingPolicy, StockPolicy
from ordercrm.core.money import ZERO
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import InvalidValue, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.customers import selectors as customer_selectors
from ordercrm.customers.models import AddressKind, Customer
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory import services as inventory
from ordercrm.sales import approvals, workflow
from ordercrm.sales.calculations import LineInput, compute_totals, to_company_currency
from ordercrm.sales.exceptions import (
    AmendBelowProgress,
    ApprovalVoid,
    CancelAfterShipment,
    CreditHoldRelease,
    CreditLimitExceeded,
    CustomerOnCreditHold,
    EmptyOrder,
    ExchangeRateMissing,
    ExchangeRateOverride,
    InvalidTransition,
    NotAnApprover,
    NotEditable,
    ReasonRequired,
    SelfApproval,
    StaleVersion,
    TooManyLines,
)
from ordercrm.sales.models import (
    ApprovalRule,
    ApprovalRuleStep,
    ApprovalStatus,
    InvoicingPolicy,
    LineKind,
    OrderApproval,
    OrderComment,
    OrderRevision,
    OrderTemplate,
    RuleKind,
    SalesOrder,
    SalesOrderLine,
)
from ordercrm.sales.signals import order_cancelled, order_confirmed
from ordercrm.sales.workflow import Status

HEADER_FIELDS = [
    "contact",
    "currency",
    "exchange_rate",
    "price_list",
    "salesperson",
    "team",
    "order_date",
    "requested_date",
    "valid_until",
    "payment_terms",
    "invoicing_policy",
    "warehouse",
    "shipping_policy",
    "customer_reference",
    "notes",
    "discount_percent",
    "billing_address",
    "shipping_address",
]
LINE_SNAPSHOT_FIELDS = [
    "kind",
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_percent",
    "net",
    "tax",
    "gross",
]


# ---------------------------------------------------------------- lines and totals


def _company_today(company) -> datetime.date:
    import zoneinfo

    return timezone.now().astimezone(zoneinfo.ZoneInfo(company.timezone)).date()


def _check_line_count(order: SalesOrder, count: int) -> None:
    """An order has at most ``settings.MAX_ORDER_LINES`` lines (of any kind), on every path:
    checked where lines are built (before pricing a huge input) and where totals are applied
    (every create, edit, amendment, paste and template). An order that already has more (the
    limit was lowered) may still move through its lifecycle, but not grow."""
    from django.conf import settings

    limit = settings.MAX_ORDER_LINES
    if limit and count > limit and count > (order.line_count or 0):
        raise TooManyLines(
            params={"limit": limit, "count": count}, details={"limit": limit, "count": count}
        )


def _build_lines(
    order: SalesOrder, raw_lines: list[dict[str, Any]], *, start: int = 1, keep_prices: bool = False
) -> list[SalesOrderLine]:
    """Unsaved lines from input dicts, priced in one batch; all errors raised together.

    A line dict has ``kind`` (product/section/note), ``product`` (a Product, ``product_id`` or
    ``sku``), ``quantity``, optional ``unit_price`` (an override of the price list),
    ``discount_percent``, ``description`` and ``requested_date``.
    """
    _check_line_count(order, len(raw_lines))
    company = order.company
    errors: dict[str, dict[str, list[str]]] = {}

    def fail(index: int, field: str, message: str) -> None:
        errors.setdefault(str(index), {}).setdefault(field, []).append(message)

    wanted_ids, wanted_skus = set(), set()
    for raw in raw_lines:
        product = raw.get("product")
        if isinstance(product, Product):
            wanted_ids.add(product.pk)
        elif raw.get("product_id"):
            with contextlib.suppress(NotFound):
                wanted_ids.add(parse_id(raw["product_id"]))
        elif raw.get("sku"):
            wanted_skus.add(str(raw["sku"]).strip())
    products_by_id: dict = {}
    if wanted_ids or wanted_skus:
        from django.db.models import Q

        found = (
            Product.objects.for_company(company)
            .select_related("tax_rate", "unit")
            .filter(Q(pk__in=wanted_ids) | Q(sku__in=wanted_skus))
        )
        products_by_id = {p.pk: p for p in found}
    products_by_sku = {p.sku: p for p in products_by_id.values()}

    lines: list[SalesOrderLine] = []
    to_price: list[tuple[int, Product, Decimal]] = []
    raw_index: dict[int, int] = {}
    for index, raw in enumerate(raw_lines):
        kind = raw.get("kind", LineKind.PRODUCT)
        if kind not in LineKind.values:
            fail(index, "kind", _("Unknown line type."))
            continue
        line = SalesOrderLine(
            company_id=company.pk,
            order=order,
            position=start + index,
            kind=kind,
            description=str(raw.get("description") or "")[:500],
        )
        if kind != LineKind.PRODUCT:
            if not line.description:
                fail(index, "description", _("This field is required."))
            lines.append(line)
            continue
        product = raw.get("product")
        if isinstance(product, Product):
            product = products_by_id.get(product.pk)
        elif raw.get("product_id"):
            try:
                product = products_by_id.get(parse_id(raw["product_id"]))
            except NotFound:
                product = None
        elif raw.get("sku"):
            product = products_by_sku.get(str(raw["sku"]).strip())
        if product is None:
            fail(index, "product", _("Unknown product."))
            continue
        if not product.is_active:
            fail(index, "product", _("This product is no longer sold."))
        try:
            quantity = bounded_decimal(raw.get("quantity", "1"), SalesOrderLine, "quantity")
        except (TypeError, ValueError) as error:
            fail(index, "quantity", invalid_reason(error))
            continue
        if quantity < 0:
            fail(index, "quantity", _("Must be at least %(minimum)s.") % {"minimum": 0})
        elif quantity != quantity.quantize(Decimal(1).scaleb(-product.unit.decimals)):
            fail(
                index,
                "quantity",
                _("%(unit)s allows %(decimals)s decimals.")
                % {"unit": product.unit.name, "decimals": product.unit.decimals},
            )
        try:
            discount = bounded_decimal(
                raw.get("discount_percent") or "0", SalesOrderLine, "discount_percent"
            )
        except (TypeError, ValueError) as error:
            fail(index, "discount_percent", invalid_reason(error))
            continue
        if not ZERO <= discount <= 100:
            fail(index, "discount_percent", _("Enter a percentage between 0 and 100."))
        line.product, line.unit = product, product.unit
        line.quantity, line.discount_percent = quantity, discount
        line.tax_rate, line.tax_percent = product.tax_rate, product.tax_rate.rate
        line.unit_cost = product.cost
        line.description = line.description or product.name
        line.requested_date = raw.get("requested_date")
        if raw.get("unit_price") not in (None, ""):
            try:
                price = bounded_decimal(raw["unit_price"], SalesOrderLine, "unit_price")
            except (TypeError, ValueError) as error:
                fail(index, "unit_price", invalid_reason(error))
                continue
            if price < 0:
                fail(index, "unit_price", _("Must be at least %(minimum)s.") % {"minimum": 0})
            line.unit_price = price
            line.price_overridden = not keep_prices or bool(raw.get("price_overridden", True))
        to_price.append((len(lines), product, quantity))
        raw_index[len(lines)] = index
        lines.append(line)
    if errors:
        raise ValidationFailed(details={"lines": errors})
    quotes = prices_for(
        company=company,
        customer=order.customer if order.customer_id else None,
        currency=order.currency,
        on_date=order.order_date,
        items=[(product, quantity) for _i, product, quantity in to_price],
        strict=False,
    )
    for (position, product, _quantity), quote in zip(to_price, quotes, strict=True):
        line = lines[position]
        explicit = line.price_overridden or (keep_prices and line.unit_price)
        if quote is None and not explicit:
            message = NoPrice(params={"sku": product.sku, "currency": order.currency}).text
            fail(raw_index[position], "unit_price", message)
            continue
        line.list_unit_price = quote.unit_price if quote is not None else line.unit_price
        if not explicit:
            line.unit_price = quote.unit_price
        line.price_overridden = line.unit_price != line.list_unit_price
    if errors:
        raise ValidationFailed(code=NoPrice.code, details={"lines": errors})
    return lines


def _apply_totals(order: SalesOrder, lines: list[SalesOrderLine]) -> None:
    """Set every line's and the order's amounts from the pure calculation."""
    _check_line_count(order, len(lines))
    company = order.company
    priced = [line for line in lines if line.kind == LineKind.PRODUCT]
    totals = compute_totals(
        [
            LineInput(line.quantity, line.unit_price, line.discount_percent, line.tax_percent)
            for line in priced
        ],
        currency=order.currency,
        prices_include_tax=company.prices_include_tax,
        tax_rounding=company.tax_rounding,
        rounding_mode=company.rounding_mode,
        order_discount_percent=order.discount_percent,
    )
    for line, amounts in zip(priced, totals.lines, strict=True):
        line.net, line.tax, line.gross = amounts.net, amounts.tax, amounts.gross
    order.net_total, order.tax_total, order.gross_total = totals.net, totals.tax, totals.gross
    order.line_count = len(lines)
    rate = (
        order.exchange_rate
        if order.exchange_rate
        else (Decimal(1) if order.currency == company.base_currency else None)
    )
    if rate is None:
        order.company_net_total = order.company_tax_total = order.company_gross_total = None
    else:
        converted = to_company_currency(
            totals, rate=rate, currency=company.base_currency, rounding_mode=company.rounding_mode
        )
        order.company_net_total, order.company_tax_total, order.company_gross_total = (
            converted.net,
            converted.tax,
            converted.gross,
        )
    order._totals = totals


def _lines_of(order: SalesOrder, *, lock: bool = False) -> list[SalesOrderLine]:
    lines = (
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )
    if lock:
        lines = lines.select_for_update()
    return list(lines)


def _snapshot(order: SalesOrder, lines: list[SalesOrderLine]) -> dict[str, Any]:
    return {
        "header": audit.snapshot(
            order, [*HEADER_FIELDS, "status", "net_total", "tax_total", "gross_total"]
        ),
        "lines": {str(line.pk): audit.snapshot(line, LINE_SNAPSHOT_FIELDS) for line in lines},
    }


def _lines_diff(before: dict[str, dict], after: dict[str, dict]) -> dict[str, Any]:
    """Lines added, removed and changed (field: [before, after]) between two snapshots."""
    changed = {}
    for line_id in before.keys() & after.keys():
        fields = audit.diff(before[line_id], after[line_id])
        if fields:
            changed[line_id] = fields
    return {
        "added": [after[i] for i in after.keys() - before.keys()],
        "removed": [before[i] for i in before.keys() - after.keys()],
        "changed": changed,
    }


def _customer_reference_warning(order: SalesOrder) -> list[dict[str, str]]:
    if not order.customer_reference:
        return []
    used = (
        SalesOrder.objects.for_company(order.company_id)
        .filter(customer_id=order.customer_id, customer_reference=order.customer_reference)
        .exclude(pk=order.pk)
        .exclude(status=Status.CANCELLED)
        .values_list("number", flat=True)[:5]
    )
    numbers = list(used)
    return (
        [{"code": "sales.customer_reference_used", "orders": ", ".join(numbers)}] if numbers else []
    )


# ---------------------------------------------------------------- create and edit


def _visible_orders(access: Access):
    return SalesOrder.objects.for_company(access.company).filter(
        access.owner_filter("salesperson", "team")
    )


def _lock(order: SalesOrder, access: Access) -> SalesOrder:
    locked = (
        _visible_orders(access)
        .select_for_update(of=("self",))
        .select_related("company", "customer")
        .filter(pk=order.pk)
        .first()
    )
    if locked is None:
        raise NotFound(details={"order_id": str(order.pk)})
    return locked


def lock_order(order: SalesOrder, access: Access) -> SalesOrder:
    """Lock an order the caller may see (``core.not_found`` otherwise), for services of the
    layers above (shipping, billing) that change its counters. Lock the order before any
    stock level: every service takes locks in that order, so none deadlock."""
    return _lock(order, access)


def order_lines_for_update(order: SalesOrder) -> list[SalesOrderLine]:
    """The lines of an order the caller has locked, in position order, with their products."""
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .select_related("product")
        .order_by("position")
    )


def _lock_draft(order: SalesOrder, actor, version: int) -> SalesOrder:
    """Lock a draft the actor may edit, at the version they loaded (else stale / not editable)."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_EDIT)
    locked = _lock(order, access)
    if locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})
    if locked.status not in workflow.EDITABLE:
        raise NotEditable(details={"status": locked.status})
    return locked


def order_preview(*, company, actor, customer, lines: list[dict], **header) -> SalesOrder:
    """What ``order_create`` would make, priced and totalled, without saving anything (live
    totals on the entry form). Raises the same validation errors."""
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    order = SalesOrder(company=company, customer=customer, status=Status.DRAFT)
    order.currency = header.pop("currency", None) or customer.currency
    order.price_list = customer.price_list
    order.order_date = _company_today(company)
    header = {k: v for k, v in header.items() if k in HEADER_FIELDS}
    _rate_header(order, header, actor)
    _set_header(order, header)
    built = _build_lines(order, list(lines))
    _apply_totals(order, built)
    order.preview_lines = built
    return order


@transaction.atomic
def order_create(
    *,
    company,
    actor,
    customer,
    lines: list[dict] | tuple = (),
    entry_token: uuid.UUID | None = None,
    **header,
) -> SalesOrder:
    """Create a draft order (a quotation) for a customer the actor may see.

    Defaults come from the customer: currency, price list, payment terms, salesperson, team,
    primary contact, default billing and shipping addresses (copied, so later edits of the
    customer do not change the order). The number ``SO-{year}-{seq:06d}`` is taken now, so a
    cancelled quotation keeps its number and the sequence has no holes. ``order.warnings`` lists
    soft problems (a customer PO reference used before).

    ``entry_token`` is the one-time token of the form the order is entered on: creating
    again with a token already used returns the order it made (``order.replayed`` is true)
    and changes nothing, also when the twin requests race (the database's unique constraint
    decides; the loser's number is rolled back with its savepoint, so no number is lost).
    """
    if entry_token is None:
        return _order_create(company, actor, customer, lines, header)
    made = _order_of_entry(company, actor, entry_token)
    if made is not None:
        return made
    try:
        with transaction.atomic():
            return _order_create(company, actor, customer, lines, header, entry_token)
    except IntegrityError:
        made = _order_of_entry(company, actor, entry_token)
        if made is None:
            raise
        return made


def _order_of_entry(company, actor, entry_token) -> SalesOrder | None:
    """The order an entry form already made, as the actor may see it (or None)."""
    made = (
        SalesOrder.objects.for_company(company)
        .filter(entry_token=entry_token)
        .values_list("pk", flat=True)
        .first()
    )
    if made is None:
        return None
    from ordercrm.sales.selectors import order_get

    order = order_get(access_for(actor, company), made)
    order.replayed = True
    order.warnings = []
    return order


def _order_create(company, actor, customer, lines, header, entry_token=None) -> SalesOrder:
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown order fields: {sorted(unknown)}")
    order = SalesOrder(
        company=company, customer=customer, status=Status.DRAFT, entry_token=entry_token
    )
    order.currency = header.pop("currency", None) or customer.currency
    order.price_list = header.pop("price_list", None) or customer.price_list
    order.payment_terms = header.pop("payment_terms", None) or customer.payment_terms
    order.salesperson = header.pop("salesperson", None) or customer.owner or actor
    order.team = header.pop("team", None) or customer.team
    order.order_date = header.pop("order_date", None) or _company_today(company)
    order.shipping_policy = header.pop("shipping_policy", None) or company.shipping_policy
    if "contact" not in header:
        order.contact = (
            customer_selectors.customer_contacts(customer).filter(is_primary=True).first()
        )
    addresses = {
        a.kind: a for a in customer_selectors.customer_addresses(customer).filter(is_default=True)
    }
    for kind, field in (
        (AddressKind.BILLING, "billing_address"),
        (AddressKind.SHIPPING, "shipping_address"),
    ):
        if field not in header and kind in addresses:
            setattr(order, field, addresses[kind].as_snapshot())
    _rate_header(order, header, actor)
    _set_header(order, header)
    built = _build_lines(order, list(lines))
    _apply_totals(order, built)
    order.number = next_number(company=company, prefix="SO", year=order.order_date.year)
    order.save()
    SalesOrderLine.objects.bulk_create(built)
    audit.record(
        actor=actor,
        entity=order,
        action="create",
        changes={
            "status": [None, Status.DRAFT],
            "gross_total": [None, str(order.gross_total)],
            "lines": [None, len(built)],
        },
    )
    events.emit(type="order.created", entity=order, actor=actor, payload={"number": order.number})
    order.warnings = _customer_reference_warning(order)
    order.replayed = False
    return order


def _rate_header(order: SalesOrder, header: dict[str, Any], actor) -> None:
    """A rate typed on an order overrides the company rate table, which needs
    ``exchange_rate_override`` (else ``sales.exchange_rate_override`` and nothing changes);
    beyond the company's tolerance it is also an approval reason. An empty rate goes back to
    the table. Sending the rate the order already has (clients echo what they read), or 1 on
    an order in the company currency, is no override."""
    if "exchange_rate" not in header:
        return
    value = header["exchange_rate"]
    if value in (None, ""):
        header["exchange_rate"] = None
        order.exchange_rate_overridden = False
        return
    try:
        value = bounded_decimal(value, SalesOrder, "exchange_rate")
    except (TypeError, ValueError):
        return  # _set_header reports the bad number
    currency = header.get("currency") or order.currency
    if value == order.exchange_rate or (currency == order.company.base_currency and value == 1):
        return
    if not access_for(actor, order.company).can(Perm.EXCHANGE_RATE_OVERRIDE):
        raise ExchangeRateOverride(
            details={"fields": {"exchange_rate": [str(ExchangeRateOverride.message)]}}
        )
    order.exchange_rate_overridden = True


def _take_exchange_rate(order: SalesOrder) -> bool:
    """Give the order the company rate table's rate in force on its order date (1 in the
    company currency); a rate set by hand by someone allowed to is kept, and the approval
    rules compare it with the table. Returns whether the rate changed.

    Raises ``sales.exchange_rate_missing`` (currency, date and who may set it in
    ``details``) when the table has no rate for the currency on or before the date, also
    for a hand-set rate: there would be nothing to compare it with."""
    from ordercrm.accounts.roles import ROLE_PERMISSIONS

    company = order.company
    before = order.exchange_rate
    if order.currency == company.base_currency:
        order.exchange_rate, order.exchange_rate_overridden = Decimal(1), False
        return order.exchange_rate != before
    on = order.order_date or _company_today(company)
    table = exchange_rate_on(company, order.currency, on)
    if table is None:
        raise ExchangeRateMissing(
            params={"currency": order.currency, "base": company.base_currency, "date": on},
            details={
                "currency": order.currency,
                "base": company.base_currency,
                "date": on.isoformat(),
                "set_by_roles": sorted(
                    role
                    for role, perms in ROLE_PERMISSIONS.items()
                    if Perm.EXCHANGE_RATE_EDIT in perms
                ),
            },
        )
    if not (order.exchange_rate_overridden and order.exchange_rate):
        order.exchange_rate, order.exchange_rate_overridden = table.rate, False
    return order.exchange_rate != before


def _set_header(order: SalesOrder, header: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for field, value in header.items():
        if field in ("discount_percent", "exchange_rate") and value not in (None, ""):
            try:
                value = bounded_decimal(value, SalesOrder, field)
            except (TypeError, ValueError) as error:
                errors.setdefault(field, []).append(invalid_reason(error))
                continue
            if field == "discount_percent" and not ZERO <= value <= 100:
                errors.setdefault(field, []).append(_("Enter a percentage between 0 and 100."))
            if field == "exchange_rate" and value <= 0:
                errors.setdefault(field, []).append(_("Must be greater than zero."))
            elif field == "exchange_rate" and (
                value > MAX_EXCHANGE_RATE or value != value.quantize(Decimal("0.00000001"))
            ):
                errors.setdefault(field, []).append(
                    _("Enter a rate of at most %(maximum)s with at most 8 decimals.")
                    % {"maximum": MAX_EXCHANGE_RATE}
                )
        if field == "invoicing_policy" and value not in InvoicingPolicy.values:
            errors.setdefault(field, []).append(_("Unknown invoicing policy."))
        if field == "shipping_policy" and value not in ShippingPolicy.values:
            errors.setdefault(field, []).append(_("Unknown shipping policy."))
        related = value if hasattr(value, "company_id") else None
        if related is not None and related.company_id != order.company_id:
            errors.setdefault(field, []).append(_("Not in this company."))
        setattr(order, field, value)
    if order.valid_until and order.order_date and order.valid_until < order.order_date:
        errors.setdefault("valid_until", []).append(_("Must not be before the order date."))
    if errors:
        raise ValidationFailed(details={"fields": errors})


@transaction.atomic
def order_update(
    *, order: SalesOrder, actor, version: int, lines: list[dict] | None = None, **header
) -> SalesOrder:
    """Edit a draft: header fields and, when ``lines`` is given, the whole set of lines.

    ``version`` must be the version the user loaded; otherwise ``sales.stale_version`` with the
    current version in ``details``, and nothing changes. Non-drafts raise ``sales.not_editable``.
    """
    locked = _lock_draft(order, actor, version)
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown order fields: {sorted(unknown)}")
    old_lines = _lines_of(locked)
    before = _snapshot(locked, old_lines)
    _rate_header(locked, header, actor)
    _set_header(locked, header)
    if lines is not None:
        new_lines = _build_lines(locked, list(lines))
    else:
        new_lines = old_lines
        if "currency" in header or "price_list" in header or "order_date" in header:
            new_lines = _build_lines(
                locked, [_line_input(line) for line in old_lines], keep_prices=True
            )
            lines = []  # replace
    _apply_totals(locked, new_lines)
    locked.version += 1
    locked.save()
    if lines is not None:
        SalesOrderLine.objects.for_company(locked.company_id).filter(order=locked).delete()
        SalesOrderLine.objects.bulk_create(new_lines)
    after = _snapshot(locked, new_lines)
    changes = audit.diff(before["header"], after["header"])
    if lines is not None:
        changes["lines"] = _lines_diff(before["lines"], after["lines"])
    audit.record(actor=actor, entity=locked, action="update", changes=changes)
    events.emit(
        type="order.updated", entity=locked, actor=actor, payload={"version": locked.version}
    )
    locked.warnings = _customer_reference_warning(locked)
    return locked


def _line_input(line: SalesOrderLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "product_id": line.product_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price if line.price_overridden else None,
        "discount_percent": line.discount_percent,
        "description": line.description,
        "requested_date": line.requested_date,
    }


# ---------------------------------------------------------------- stock


def _tracked_product_ids(company_id, lines: list[SalesOrderLine]) -> set:
    product_ids = {line.product_id for line in lines if line.product_id}
    if not product_ids:
        return set()
    return set(
        Product.objects.for_company(company_id)
        .filter(pk__in=product_ids, is_stock_tracked=True)
        .values_list("pk", flat=True)
    )


def _reserve_open(
    order: SalesOrder, lines: list[SalesOrderLine], *, all_or_nothing: bool | None = None
) -> dict:
    """Reserve what each stock-tracked line still lacks (open − reserved).

    By company policy (unless ``all_or_nothing`` says otherwise): all or nothing raises
    ``inventory.insufficient_stock`` with the shortfall per line; allow backorder reserves
    what is there and leaves the rest backordered. Returns what each line got."""
    tracked = _tracked_product_ids(order.company_id, lines)
    demands = [
        inventory.Demand(
            order_line_id=line.pk,
            order_id=order.pk,
            product_id=line.product_id,
            quantity=line.open_quantity - line.qty_reserved,
            reference=order.number,
            already_reserved=line.qty_reserved,
        )
        for line in lines
        if line.kind == LineKind.PRODUCT and line.product_id in tracked
    ]
    if all_or_nothing is None:
        all_or_nothing = order.company.stock_policy == StockPolicy.ALL_OR_NOTHING
    got = inventory.reserve(
        company=order.company,
        demands=demands,
        warehouse_ids=inventory.warehouses_in_order(order.company, order.warehouse_id),
        all_or_nothing=all_or_nothing,
    )
    changed = []
    for line in lines:
        if got.get(line.pk):
            line.qty_reserved += got[line.pk]
            changed.append(line)
    if changed:
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(changed, ["qty_reserved"])
    return got


def _release(order: SalesOrder, lines: list[SalesOrderLine], amounts: dict) -> dict:
    """Give back reserved stock: ``amounts[line_id]`` or ``None`` for all; counters follow
    in memory (the caller saves the lines)."""
    amounts = {line_id: q for line_id, q in amounts.items() if q is None or q > 0}
    if not amounts:
        return {}
    released = inventory.release(company=order.company, amounts=amounts)
    for line in lines:
        line.qty_reserved -= released.get(line.pk, ZERO)
    return released


def _release_all(order: SalesOrder) -> None:
    lines = [line for line in _lines_of(order) if line.qty_reserved > 0]
    if _release(order, lines, {line.pk: None for line in lines}):
        SalesOrderLine.objects.for_company(order.company_id).bulk_update(lines, ["qty_reserved"])


@transaction.atomic
def order_fill_backorders(*, order: SalesOrder, actor=None) -> dict:
    """Reserve newly available stock for a confirmed order's backordered lines.

    Run by the system when stock arrives (oldest orders first, see ``backorders_fill``);
    does nothing for orders that are not confirmed. Returns what each line got."""
    locked = (
        SalesOrder.objects.for_company(order.company_id)
        .select_for_update(of=("self",))
        .select_related("company")
        .get(pk=order.pk)
    )
    if locked.status != Status.CONFIRMED:
        return {}
    got = _reserve_open(locked, _lines_of(locked), all_or_nothing=False)
    if got:
        filled = {str(line_id): str(q) for line_id, q in got.items()}
        audit.record(
            actor=actor, entity=locked, action="backorder_fill", changes={"reserved": filled}
        )
        events.emit(
            type="order.backorder_filled",
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "lines": filled},
        )
    return got


def backorders_fill(*, company_id, product_ids: list) -> int:
    """Fill waiting backorders of these products, oldest confirmation first, one order per
    transaction (so a busy order never blocks the queue). Returns orders that got stock."""
    waiting = (
        SalesOrderLine.objects.for_company(company_id)
        .filter(
            product_id__in=product_ids,
            kind=LineKind.PRODUCT,
            order__status=Status.CONFIRMED,
            qty_reserved__lt=F("quantity") - F("qty_shipped") - F("qty_closed"),
        )
        .order_by("order__confirmed_at", "order_id")
        .values_list("order_id", flat=True)
    )
    filled = 0
    for order_id in dict.fromkeys(waiting):
        free = inventory_selectors.availability(company_id, product_ids)
        if not any(a.available > 0 for a in free.values()):
            break
        order = SalesOrder(pk=order_id, company_id=company_id)
        if order_fill_backorders(order=order):
            filled += 1
    return filled


# ---------------------------------------------------------------- lifecycle


def _lock_customer(order: SalesOrder, *, check_hold: bool = True) -> None:
    """Lock the order's customer row for the credit check: confirmations of one customer's
    orders queue here, so two cannot both pass the same limit (order → customer → stock is
    the lock order everywhere)."""
    order.customer = (
        Customer.objects.for_company(order.company_id).select_for_update().get(pk=order.customer_id)
    )
    if check_hold and order.customer.credit_hold:
        raise CustomerOnCreditHold(details={"reason": order.customer.credit_hold_reason})


def _credit_gate(order: SalesOrder) -> dict | None:
    """Under the ``block`` policy an order over the limit is refused; otherwise return the
    credit reason (or None) for the approval path. The customer row must be locked."""
    reason = approvals.credit_reason(order)
    if reason and order.company.credit_policy == CreditPolicy.BLOCK:
        raise CreditLimitExceeded(params={"over_by": reason["over_by"]}, details=reason)
    return reason


def _request_approval(
    order: SalesOrder,
    actor,
    evaluation: approvals.Evaluation,
    lines,
    *,
    action: str,
    event: str,
    changes: dict | None = None,
) -> None:
    """Record the approvals an evaluation asks for and move the order to pending approval."""
    import json

    digest = approvals.fingerprint(order, lines)
    OrderApproval.objects.for_company(order.company_id).filter(
        order=order, status=ApprovalStatus.PENDING
    ).update(status=ApprovalStatus.VOID)
    OrderApproval.objects.bulk_create(
        [
            OrderApproval(
                company_id=order.company_id,
                order=order,
                revision=order.revision,
                fingerprint=digest,
                level=level,
                role=role,
                approver_ids=list(approver_ids),
                reasons=kinds,
            )
            for (level, role, approver_ids), kinds in sorted(evaluation.steps.items())
        ]
    )
    order.status_reason = json.dumps(evaluation.reasons, ensure_ascii=False)
    _move(
        order,
        actor,
        action,
        Status.PENDING_APPROVAL,
        changes={"reasons": evaluation.reasons, **(changes or {})},
        payload={"reasons": evaluation.reasons, **(changes or {})},
        event=event,
    )


def _move(
    order: SalesOrder,
    actor,
    action: str,
    new_status: str,
    *,
    changes: dict | None = None,
    payload: dict | None = None,
    event: str | None = None,
) -> None:
    """Set the status, who and when; write the audit entry and the event."""
    old_status = order.status
    order.status = new_status
    order.status_changed_at = timezone.now()
    order.status_changed_by = actor
    order.version += 1
    order.save()
    audit.record(
        actor=actor,
        entity=order,
        action=action,
        changes={"status": [old_status, new_status], **(changes or {})},
    )
    events.emit(
        type=f"order.{event or action}",
        entity=order,
        actor=actor,
        payload={"number": order.number, "status": new_status, **(payload or {})},
    )


def _begin(
    order: SalesOrder, actor, action: str, perm: str, version: int | None
) -> tuple[SalesOrder, bool]:
    """Lock the order and check the transition. Returns (order, already_done)."""
    access = access_for(actor, order.company)
    access.require(perm)
    locked = _lock(order, access)
    if workflow.already_done(action, locked.status):
        return locked, True
    if not workflow.allowed(action, locked.status):
        raise InvalidTransition(
            params={"status": Status(locked.status).label},
            details={"status": locked.status, "action": action},
        )
    if version is not None and locked.version != version:
        raise StaleVersion(details={"current_version": locked.version})
    return locked, False


def _confirm(order: SalesOrder, actor, action: str) -> None:
    """Fix the exchange rate (from the company rate table unless set by hand) and the
    company-currency totals, then confirm."""
    _take_exchange_rate(order)
    lines = _lines_of(order)
    _apply_totals(order, lines)
    _credit_gate(order)
    _reserve_open(order, lines)
    order.approval_fingerprint = approvals.fingerprint(order, lines)
    order.confirmed_at, order.confirmed_by = timezone.now(), actor
    _move(
        order,
        actor,
        action,
        Status.CONFIRMED,
        event="confirmed",
        changes={"exchange_rate": [None, str(order.exchange_rate)]},
        payload={"gross_total": order.gross_total, "currency": order.currency},
    )
    order_confirmed.send(sender=SalesOrder, order=order, actor=actor)


@transaction.atomic
def order_submit(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Submit a draft: with approval reasons it waits in ``pending_approval`` (the reasons are
    kept in ``status_reason``), else it is confirmed at once. A repeated submit changes nothing."""
    locked, done = _begin(order, actor, "submit", Perm.ORDER_EDIT, version)
    if done:
        return locked
    lines = _lines_of(locked)
    if not any(line.kind == LineKind.PRODUCT and line.quantity > 0 for line in lines):
        raise EmptyOrder()
    _take_exchange_rate(locked)  # the approval rules look at company-currency amounts
    _apply_totals(locked, lines)
    _lock_customer(locked)
    locked.submitted_at, locked.submitted_by = timezone.now(), actor
    _credit_gate(locked)  # the block policy refuses before anything else
    evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
    if evaluation.reasons:
        _request_approval(locked, actor, evaluation, lines, action="submit", event="submitted")
    else:
        locked.status_reason = ""
        events.emit(
            type="order.submitted",
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "reasons": []},
        )
        _confirm(locked, actor, "submit")
    return locked


def _pending_level(order: SalesOrder) -> list[OrderApproval]:
    pending = list(
        OrderApproval.objects.for_company(order.company_id)
        .filter(order=order, status=ApprovalStatus.PENDING)
        .order_by("level", "created_at")
    )
    if not pending:
        return []
    lowest = pending[0].level
    return [a for a in pending if a.level == lowest]


def _my_approvals(
    order: SalesOrder, actor, *, required: bool = True
) -> tuple[list[OrderApproval], list[OrderApproval]]:
    """The pending approvals of the order's current level, and those ``actor`` may give.

    Raises ``sales.not_an_approver`` when the actor may give none of them (with
    ``required=False`` an order without recorded approvals lets any approver decide)."""
    level = _pending_level(order)
    role = approvals.member_role(actor, order.company_id)
    mine = [a for a in level if approvals.eligible(role, str(actor.pk), a.role, a.approver_ids)]
    if not mine and (required or level):
        raise NotAnApprover()
    return level, mine


@transaction.atomic
def order_approve(
    *, order: SalesOrder, actor, version: int | None = None, comment: str = ""
) -> SalesOrder:
    """Give the approvals of the current level that ``actor`` may give; when none remain,
    the order is confirmed (credit and stock are checked again in this transaction).

    Refused: approving one's own order unless the company allows it (``sales.self_approval``),
    approving a step meant for someone else (``sales.not_an_approver``), and approving an
    order whose content changed since submission (``sales.approval_void``; it goes back to
    draft)."""
    locked, done = _begin(order, actor, "approve", Perm.ORDER_APPROVE, version)
    if done:
        return locked
    if not locked.company.allow_self_approval and actor.pk in (
        locked.submitted_by_id,
        locked.salesperson_id,
    ):
        raise SelfApproval()
    level, mine = _my_approvals(locked, actor)
    lines = _lines_of(locked)
    rate_before = locked.exchange_rate
    if _take_exchange_rate(locked):
        # Finance changed the table's rate for the order date since submission: the amounts
        # the approvers were shown are not those that would be fixed, so the rules run again.
        _lock_customer(locked)
        _apply_totals(locked, lines)
        evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
        if not evaluation.reasons:
            _confirm(locked, actor, "approve")
            return locked
        _request_approval(
            locked,
            actor,
            evaluation,
            lines,
            action="approve",
            event="approval_step",
            changes={"exchange_rate": [str(rate_before), str(locked.exchange_rate)]},
        )
        return locked
    if any(a.fingerprint != approvals.fingerprint(locked, lines) for a in level):
        raise ApprovalVoid()
    now = timezone.now()
    for approval in mine:
        approval.status, approval.decided_by, approval.decided_at = (
            ApprovalStatus.APPROVED,
            actor,
            now,
        )
        approval.comment = comment
    OrderApproval.objects.for_company(locked.company_id).bulk_update(
        mine, ["status", "decided_by", "decided_at", "comment"]
    )
    if comment:
        OrderComment.objects.create(
            company_id=locked.company_id, order=locked, author=actor, text=comment
        )
    given = [{"level": a.level, "role": a.role, "reasons": a.reasons} for a in mine]
    audit.record(actor=actor, entity=locked, action="approve_step", changes={"approved": given})
    still_pending = OrderApproval.objects.for_company(locked.company_id).filter(
        order=locked, status=ApprovalStatus.PENDING
    )
    if still_pending.exists():
        locked.version += 1
        locked.save()
        events.emit(
            type="order.approval_step",
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "approved": given, "comment": comment},
        )
        return locked
    # Last approval: the credit position may have moved since submission.
    _lock_customer(locked)
    _apply_totals(locked, lines)
    credit = _credit_gate(locked)
    approved_kinds = {
        kind
        for reasons in OrderApproval.objects.for_company(locked.company_id)
        .filter(order=locked, status=ApprovalStatus.APPROVED, fingerprint=level[0].fingerprint)
        .values_list("reasons", flat=True)
        for kind in reasons
    }
    if credit and "credit_limit" not in approved_kinds:
        evaluation = approvals.Evaluation()
        evaluation.add(credit, approvals.DEFAULT_STEPS["credit_limit"])
        _request_approval(locked, actor, evaluation, lines, action="approve", event="approval_step")
        return locked
    _confirm(locked, actor, "approve")
    events.emit(
        type="order.approved",
        entity=locked,
        actor=actor,
        payload={
            "number": locked.number,
            "reasons": sorted(approved_kinds),
            "comment": comment,
        },
    )
    return locked


@transaction.atomic
def order_reject(
    *, order: SalesOrder, actor, reason: str, version: int | None = None
) -> SalesOrder:
    locked, done = _begin(order, actor, "reject", Perm.ORDER_APPROVE, version)
    if done:
        return locked
    if not reason.strip():
        raise ReasonRequired()
    _my_approvals(locked, actor, required=False)
    OrderApproval.objects.for_company(locked.company_id).filter(
        order=locked, status=ApprovalStatus.PENDING
    ).update(
        status=ApprovalStatus.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        comment=reason.strip(),
    )
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        "reject",
        Status.REJECTED,
        changes={"reason": [None, reason.strip()]},
        payload={"reason": reason.strip()},
        event="rejected",
    )
    return locked


@transaction.atomic
def order_reopen(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """A rejected order goes back to draft for changes."""
    locked, done = _begin(order, actor, "reopen", Perm.ORDER_EDIT, version)
    if not done:
        _move(locked, actor, "reopen", Status.DRAFT, event="reopened")
    return locked


@transaction.atomic
def order_hold(
    *, order: SalesOrder, actor, reason: str, version: int | None = None, credit: bool = False
) -> SalesOrder:
    """Pause a confirmed order (nothing ships). ``credit``: a credit hold by finance, which
    only finance may release."""
    locked, done = _begin(order, actor, "hold", Perm.ORDER_HOLD, version)
    if done:
        return locked
    if credit:
        access_for(actor, locked.company).require(Perm.CREDIT_CONTROL)
    if not reason.strip():
        raise ReasonRequired()
    locked.hold_reason, locked.credit_hold = reason.strip(), credit
    _move(
        locked,
        actor,
        "hold",
        Status.ON_HOLD,
        changes={"hold_reason": [None, locked.hold_reason], "credit_hold": [False, credit]},
        payload={"reason": locked.hold_reason, "credit": credit},
        event="held",
    )
    return locked


def _recheck(locked: SalesOrder, actor, action: str, event: str) -> bool:
    """Before an order becomes confirmed again (release, resume): the customer's credit hold,
    the credit limit and, if the content changed since its approval, the rules. Returns
    False when the order went to pending approval instead."""
    _lock_customer(locked)
    lines = _lines_of(locked)
    _apply_totals(locked, lines)
    credit = _credit_gate(locked)
    evaluation = approvals.Evaluation()
    if approvals.fingerprint(locked, lines) != locked.approval_fingerprint:
        evaluation = approvals.evaluate(locked, lines, _company_today(locked.company))
    elif credit:
        evaluation.add(credit, approvals.DEFAULT_STEPS["credit_limit"])
    if evaluation.reasons:
        _request_approval(locked, actor, evaluation, lines, action=action, event=event)
        return False
    return True


@transaction.atomic
def order_release(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Lift a hold. Credit holds need finance. The credit position is checked again: over the
    limit the order is refused (block policy) or waits for approval (approval policy)."""
    locked, done = _begin(order, actor, "release", Perm.ORDER_HOLD, version)
    if done:
        return locked
    if locked.credit_hold and not access_for(actor, locked.company).can(Perm.CREDIT_CONTROL):
        raise CreditHoldRelease()
    locked.hold_reason, locked.credit_hold = "", False
    if _recheck(locked, actor, "release", "released"):
        _move(locked, actor, "release", Status.CONFIRMED, event="released")
        order_confirmed.send(sender=SalesOrder, order=locked, actor=actor)
    return locked


@transaction.atomic
def order_request_changes(
    *, order: SalesOrder, actor, comment: str, version: int | None = None
) -> SalesOrder:
    """An approver sends a pending order back to draft with what to change."""
    locked, done = _begin(order, actor, "request_changes", Perm.ORDER_APPROVE, version)
    if done:
        return locked
    if not comment.strip():
        raise ReasonRequired()
    _my_approvals(locked, actor, required=False)
    OrderApproval.objects.for_company(locked.company_id).filter(
        order=locked, status=ApprovalStatus.PENDING
    ).update(
        status=ApprovalStatus.VOID,
        decided_by=actor,
        decided_at=timezone.now(),
        comment=comment.strip(),
    )
    OrderComment.objects.create(
        company_id=locked.company_id, order=locked, author=actor, text=comment.strip()
    )
    locked.status_reason = comment.strip()
    _move(
        locked,
        actor,
        "request_changes",
        Status.DRAFT,
        changes={"comment": [None, comment.strip()]},
        payload={"comment": comment.strip()},
        event="changes_requested",
    )
    return locked


@transaction.atomic
def order_resume(*, order: SalesOrder, actor, version: int | None = None) -> SalesOrder:
    """Undo a short-close: what was closed is open again, stock is reserved again, and the
    credit position is checked as for a new confirmation."""
    locked, done = _begin(order, actor, "resume", Perm.ORDER_CANCEL, version)
    if done:
        return locked
    SalesOrderLine.objects.for_company(locked.company_id).filter(order=locked).update(qty_closed=0)
    if _recheck(locked, actor, "resume", "resumed"):
        _reserve_open(locked, _lines_of(locked))
        _move(locked, actor, "resume", Status.CONFIRMED, event="resumed")
        order_confirmed.send(sender=SalesOrder, order=locked, actor=actor)
    return locked


@transaction.atomic
def order_cancel(
    *,
    order: SalesOrder,
    actor,
    reason: str = "",
    version: int | None = None,
    credit_invoices: bool = False,
) -> SalesOrder:
    """Cancel an order on which nothing has shipped (else ``sales.cancel_after_shipment``).

    In the same transaction: reservations are released and ``signals.order_cancelled`` lets
    the layers above settle what hangs on the order — draft shipments are cancelled; issued
    invoices that are not fully credited refuse the cancel (``sales.cancel_has_invoices``)
    unless ``credit_invoices`` (finance: ``invoice_edit``) credits them in full; draft
    invoices are cancelled; advances paid on the order become customer credit."""
    perm = Perm.ORDER_EDIT if order.status == Status.DRAFT else Perm.ORDER_CANCEL
    locked, done = _begin(order, actor, "cancel", perm, version)
    if done:
        return locked
    shipped = (
        SalesOrderLine.objects.for_company(locked.company_id)
        .filter(order=locked)
        .aggregate(total=Sum("qty_shipped"))["total"]
    )
    if shipped:
        raise CancelAfterShipment()
    # order → customer → stock, the lock order everywhere: billing settles the customer's
    # balances after the release, so the customer row is taken first
    _lock_customer(locked, check_hold=False)
    _release_all(locked)
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        "cancel",
        Status.CANCELLED,
        changes={"reason": [None, reason.strip()]},
        event="cancelled",
    )
    order_cancelled.send(
        sender=SalesOrder, order=locked, actor=actor, credit_invoices=credit_invoices
    )
    return locked


@transaction.atomic
def order_close(
    *, order: SalesOrder, actor, reason: str = "", version: int | None = None
) -> SalesOrder:
    """Short-close: whatever has not shipped will not ship (``qty_closed`` takes the rest)."""
    locked, done = _begin(order, actor, "close", Perm.ORDER_CANCEL, version)
    if done:
        return locked
    _release_all(locked)
    SalesOrderLine.objects.for_company(locked.company_id).filter(order=locked).update(
        qty_closed=F("quantity") - F("qty_shipped")
    )
    locked.status_reason = reason.strip()
    _move(
        locked,
        actor,
        "close",
        Status.CLOSED,
        changes={"reason": [None, reason.strip()]},
        event="closed",
    )
    return locked


@transaction.atomic
def order_complete_if_done(*, order: SalesOrder, actor=None) -> bool:
    """Complete a confirmed order once it is fully shipped, fully invoiced and paid.

    Called by fulfilment and billing after they move counters. Returns whether it completed.
    """
    from ordercrm.sales.selectors import order_state

    locked = SalesOrder.objects.for_company(order.company_id).select_for_update().get(pk=order.pk)
    if locked.status != Status.CONFIRMED:
        return False
    if order_state(locked, _lines_of(locked)).done:
        _move(locked, actor, "complete", Status.COMPLETED, event="completed")
        return True
    return False


# ---------------------------------------------------------------- amendments


@transaction.atomic
def order_amend(
    *, order: SalesOrder, actor, version: int, lines: list[dict], reason: str = ""
) -> SalesOrder:
    """Change a confirmed order as a new revision.

    ``lines`` lists changes: ``{"line_id", "quantity"?, "unit_price"?, "discount_percent"?}``,
    ``{"line_id", "remove": True}`` or a new line dict (without ``line_id``). Quantities cannot
    drop below what was shipped or invoiced (``sales.amend_below_progress``). The previous state
    is kept as an :class:`OrderRevision` with the diff. If approval rules now fire, the order
    goes back to ``pending_approval``.
    """
    locked, _done = _begin(order, actor, "amend", Perm.ORDER_EDIT, version)
    # Before any stock level: order → customer → stock, always. A held customer's orders can
    # still be amended (e.g. lowered); the credit check below still applies.
    _lock_customer(locked, check_hold=False)
    current = _lines_of(locked, lock=True)
    by_id = {str(line.pk): line for line in current}
    before = _snapshot(locked, current)
    if locked.revision == 0:
        OrderRevision.objects.create(
            company_id=locked.company_id,
            order=locked,
            revision=0,
            snapshot=before,
            created_by=locked.confirmed_by,
        )
    removed, additions = set(), []
    errors: dict[str, dict[str, list[str]]] = {}
    for index, change in enumerate(lines):
        line_id = change.get("line_id")
        if not line_id:
            additions.append(change)
            continue
        line = by_id.get(str(line_id))
        if line is None:
            errors.setdefault(str(index), {})["line_id"] = [_("Unknown line.")]
            continue
        floor = max(line.qty_shipped, line.qty_invoiced - line.qty_credited, ZERO)
        if change.get("remove"):
            if floor > 0:
                raise AmendBelowProgress(details={"line_id": str(line.pk), "minimum": str(floor)})
            removed.add(str(line.pk))
            continue
        try:
            field = "quantity"
            if "quantity" in change:
                line.quantity = bounded_decimal(change["quantity"], SalesOrderLine, field)
            field = "unit_price"
            if change.get("unit_price") not in (None, ""):
                line.unit_price = bounded_decimal(change["unit_price"], SalesOrderLine, field)
                line.price_overridden = line.unit_price != line.list_unit_price
            field = "discount_percent"
            if "discount_percent" in change:
                line.discount_percent = bounded_decimal(
                    change["discount_percent"], SalesOrderLine, field
                )
        except (TypeError, ValueError) as error:
            errors.setdefault(str(index), {})[field] = [invalid_reason(error)]
            continue
        if line.quantity < floor:
            raise AmendBelowProgress(details={"line_id": str(line.pk), "minimum": str(floor)})
        if line.quantity < 0 or line.unit_price < 0 or not ZERO <= line.discount_percent <= 100:
            errors.setdefault(str(index), {})["quantity"] = [_("Some values are not valid.")]
    if errors:
        raise ValidationFailed(details={"lines": errors})
    kept = [line for line in current if str(line.pk) not in removed]
    next_position = max((line.position for line in current), default=0) + 1
    added = _build_lines(locked, additions, start=next_position) if additions else []
    all_lines = kept + added
    _apply_totals(locked, all_lines)
    locked.revision += 1
    after = _snapshot(locked, all_lines)
    diff = {
        "lines": _lines_diff(before["lines"], after["lines"]),
        **audit.diff(before["header"], after["header"]),
    }
    # Stock: lowered and removed lines give back what they no longer need.
    excess = {line.pk: line.qty_reserved - max(line.open_quantity, ZERO) for line in kept}
    excess.update({line.pk: None for line in current if str(line.pk) in removed})
    _release(locked, current, excess)
    SalesOrderLine.objects.for_company(locked.company_id).filter(pk__in=removed).delete()
    SalesOrderLine.objects.for_company(locked.company_id).bulk_update(
        kept,
        [
            "quantity",
            "unit_price",
            "price_overridden",
            "discount_percent",
            "net",
            "tax",
            "gross",
            "qty_reserved",
        ],
    )
    SalesOrderLine.objects.bulk_create(added)
    OrderRevision.objects.create(
        company_id=locked.company_id,
        order=locked,
        revision=locked.revision,
        snapshot=after,
        diff=diff,
        reason=reason,
        created_by=actor,
    )
    changes = {"revision": [locked.revision - 1, locked.revision], "diff": diff}
    evaluation = approvals.evaluate(locked, all_lines, _company_today(locked.company))
    digest = approvals.fingerprint(locked, all_lines)
    if evaluation.reasons and digest != locked.approval_fingerprint:
        # The approval was given to other content: it is void, the order asks again.
        if locked.status == Status.ON_HOLD:
            locked.hold_reason, locked.credit_hold = "", False
        _request_approval(
            locked, actor, evaluation, all_lines, action="amend", event="amended", changes=changes
        )
    else:
        # Still confirmed: raised and new lines reserve now (by the stock policy).
        _credit_gate(locked)
        _reserve_open(locked, all_lines)
        locked.approval_fingerprint = digest
        locked.version += 1
        locked.save()
        audit.record(actor=actor, entity=locked, action="amend", changes=changes)
        events.emit(
            type="order.amended",
            entity=locked,
            actor=actor,
            payload={"number": locked.number, "revision": locked.revision},
        )
        if locked.status == Status.CONFIRMED:
            order_confirmed.send(sender=SalesOrder, order=locked, actor=actor)
    return locked


# ---------------------------------------------------------------- fast entry


@transaction.atomic
def order_duplicate(*, order: SalesOrder, actor, reprice: bool = False) -> SalesOrder:
    """A new draft with the same customer and lines. Never copies the number, status,
    approval, exchange rate or counters; ``reprice`` (reorder) takes today's prices for every
    line, otherwise manual price overrides are kept."""
    access = access_for(actor, order.company)
    source = _visible_orders(access).filter(pk=order.pk).first()
    if source is None:
        raise NotFound()
    raw = [_line_input(line) for line in _lines_of(source)]
    if reprice:
        for line in raw:
            line["unit_price"] = None
    header = {
        f: getattr(source, f)
        for f in (
            "contact",
            "currency",
            "payment_terms",
            "invoicing_policy",
            "discount_percent",
            "notes",
            "billing_address",
            "shipping_address",
        )
    }
    duplicate = order_create(
        company=source.company, actor=actor, customer=source.customer_id, lines=raw, **header
    )
    SalesOrder.objects.for_company(source.company_id).filter(pk=duplicate.pk).update(
        source_order=source
    )
    duplicate.source_order = source
    return duplicate


def order_reorder(*, order: SalesOrder, actor) -> SalesOrder:
    """Order the same again at today's prices."""
    return order_duplicate(order=order, actor=actor, reprice=True)


def parse_pasted_lines(text: str) -> list[dict[str, Any]]:
    """``sku,quantity[,unit_price]`` per row (commas, tabs or semicolons; a header row is
    skipped). Raises ``core.validation_failed`` with one message per bad row; returns nothing
    partial."""
    import csv
    import io

    rows, errors = [], {}
    sample = text.strip()
    dialect_delimiter = (
        "\t" if "\t" in sample else (";" if ";" in sample and "," not in sample else ",")
    )
    for number, row in enumerate(
        csv.reader(io.StringIO(sample), delimiter=dialect_delimiter), start=1
    ):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in ("sku", "product code", "产品编码", "產品編號"):
            continue
        if len(cells) < 2 or len(cells) > 3 or not cells[0]:
            errors[str(number)] = [_("Expected: product code, quantity[, unit price].")]
            continue
        try:
            quantity = bounded_decimal(cells[1], SalesOrderLine, "quantity")
            price = (
                bounded_decimal(cells[2], SalesOrderLine, "unit_price")
                if len(cells) == 3 and cells[2]
                else None
            )
        except InvalidValue as error:
            errors[str(number)] = [str(error)]
            continue
        except (TypeError, ValueError):
            errors[str(number)] = [_("Quantity and price must be numbers.")]
            continue
        if quantity <= 0:
            errors[str(number)] = [_("Quantity must be greater than zero.")]
            continue
        rows.append({"sku": cells[0], "quantity": quantity, "unit_price": price, "row": number})
    if errors:
        raise ValidationFailed(details={"rows": errors})
    if not rows:
        raise ValidationFailed(details={"rows": {"1": [_("No lines found.")]}})
    return rows


@transaction.atomic
def order_add_lines(*, order: SalesOrder, actor, version: int, lines: list[dict]) -> SalesOrder:
    """Append lines to a draft (e.g. pasted or from a template). Any bad line adds nothing."""
    locked = _lock_draft(order, actor, version)
    current = _lines_of(locked)
    try:
        added = _build_lines(
            locked, lines, start=max((line.position for line in current), default=0) + 1
        )
    except ValidationFailed as exc:
        row_errors = exc.details.get("lines", {})
        if all("row" in lines[int(i)] for i in row_errors if i.isdigit()):
            exc.details["rows"] = {
                str(lines[int(i)]["row"]): functools.reduce(operator.iadd, fields.values(), [])
                for i, fields in row_errors.items()
                if i.isdigit()
            }
        raise
    all_lines = current + added
    _apply_totals(locked, all_lines)
    locked.version += 1
    locked.save()
    SalesOrderLine.objects.for_company(locked.company_id).bulk_update(
        current, ["net", "tax", "gross"]
    )
    SalesOrderLine.objects.bulk_create(added)
    audit.record(
        actor=actor,
        entity=locked,
        action="add_lines",
        changes={
            "lines": {"added": [audit.snapshot(line, LINE_SNAPSHOT_FIELDS) for line in added]}
        },
    )
    events.emit(
        type="order.updated", entity=locked, actor=actor, payload={"version": locked.version}
    )
    return locked


def order_paste_lines(*, order: SalesOrder, actor, version: int, text: str) -> SalesOrder:
    """Add pasted ``sku,quantity[,unit_price]`` rows; an error per bad row, nothing added if any."""
    return order_add_lines(
        order=order, actor=actor, version=version, lines=parse_pasted_lines(text)
    )


@transaction.atomic
def template_create(
    *, company, actor, name: str, lines: list[dict], customer=None
) -> OrderTemplate:
    """A named line set (product, quantity, description) for the company or one customer."""
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    if not name.strip():
        raise ValidationFailed(details={"fields": {"name": [_("This field is required.")]}})
    if customer is not None:
        customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    probe = SalesOrder(
        company=company,
        customer=customer,
        currency=company.base_currency,
        order_date=_company_today(company),
    )
    built = _build_lines(probe, lines)
    stored = [
        {
            "kind": line.kind,
            "product_id": str(line.product_id) if line.product_id else None,
            "quantity": str(line.quantity),
            "description": line.description,
        }
        for line in built
    ]
    if (
        OrderTemplate.objects.for_company(company)
        .filter(name=name.strip(), customer=customer)
        .exists()
    ):
        raise ValidationFailed(details={"fields": {"name": [_("Already exists.")]}})
    template = OrderTemplate.objects.create(
        company=company, name=name.strip(), customer=customer, lines=stored, created_by=actor
    )
    audit.record(
        actor=actor, entity=template, action="create", changes={"name": [None, template.name]}
    )
    return template


def order_create_from_template(*, template: OrderTemplate, actor, customer, **header) -> SalesOrder:
    """A new draft for ``customer`` with the template's lines at the customer's prices."""
    return order_create(
        company=template.company,
        actor=actor,
        customer=customer,
        lines=list(template.lines),
        **header,
    )


MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+)")
COMMENT_MAX_LENGTH = 4000


def _mentioned(company, text: str, author) -> list:
    """Active members of the company named ``@username`` in ``text`` (not the author),
    in the order first named; names that are no member are plain text."""
    from django.db.models import Q

    from ordercrm.accounts.models import Membership

    names = list(dict.fromkeys(name.rstrip(".").lower() for name in MENTION.findall(text)))[:20]
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(user__username__iexact=name)
    members = {
        m.user.username.lower(): m.user
        for m in Membership.objects.filter(company=company, is_active=True, user__is_active=True)
        .filter(query)
        .select_related("user")
    }
    return [members[n] for n in names if n in members and members[n].pk != author.pk]


@transaction.atomic
def order_comment_add(*, order: SalesOrder, actor, text: str) -> OrderComment:
    """A plain comment on an order the actor may see. ``@username`` of a colleague tells
    them in the app (event ``order.commented`` with the mentioned user ids; the routing only
    tells those who may see the order). ``comment.mentioned`` lists who was named."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_VIEW)
    if _visible_orders(access).filter(pk=order.pk).first() is None:
        raise NotFound()
    text = text.strip()
    if not text:
        raise ValidationFailed(details={"fields": {"text": [_("This field is required.")]}})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            details={
                "fields": {
                    "text": [
                        _("Write at most %(count)s characters.") % {"count": COMMENT_MAX_LENGTH}
                    ]
                }
            }
        )
    comment = OrderComment.objects.create(
        company_id=order.company_id, order=order, author=actor, text=text
    )
    mentioned = _mentioned(order.company, text, actor)
    events.emit(
        type="order.commented",
        entity=order,
        actor=actor,
        payload={
            "number": order.number,
            "comment_id": str(comment.pk),
            "mentions": [str(user.pk) for user in mentioned],
        },
    )
    comment.mentioned = mentioned
    return comment


# ---------------------------------------------------------------- approval rules


@transaction.atomic
def approval_rule_create(
    *,
    company,
    actor,
    name: str,
    kind: str,
    threshold=None,
    steps: list[dict[str, Any]] | tuple = (),
) -> ApprovalRule:
    """An approval rule with its sequential steps: ``[{"role": "sales_manager"},
    {"role": "finance", "approvers": [user, …]}]`` (a step with approvers is satisfied by
    any one of them, or by anyone with its role). No steps: anyone who may approve."""
    from ordercrm.accounts.roles import Role

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if kind not in RuleKind.values:
        errors["kind"] = [_("Unknown condition.")]
    needs_threshold = kind in (
        RuleKind.ORDER_TOTAL,
        RuleKind.LINE_DISCOUNT,
        RuleKind.MARGIN,
        RuleKind.OVERDUE_INVOICES,
    )
    if threshold not in (None, ""):
        try:
            threshold = bounded_decimal(threshold, ApprovalRule, "threshold")
        except (TypeError, ValueError) as error:
            errors["threshold"] = [invalid_reason(error)]
    elif needs_threshold:
        errors["threshold"] = [_("This condition needs a threshold.")]
    for index, step in enumerate(steps):
        if step.get("role") and step["role"] not in Role.values:
            errors.setdefault("steps", []).append(_("Step %(n)s: unknown role.") % {"n": index + 1})
    if errors:
        raise ValidationFailed(details={"fields": errors})
    rule = ApprovalRule.objects.create(
        company=company,
        name=name.strip(),
        kind=kind,
        threshold=threshold if threshold not in (None, "") else None,
    )
    for position, step in enumerate(steps, start=1):
        made = ApprovalRuleStep.objects.create(
            company=company, rule=rule, position=position, role=step.get("role", "")
        )
        if step.get("approvers"):
            made.approvers.set(step["approvers"])
    audit.record(
        actor=actor,
        entity=rule,
        action="create",
        changes={
            "kind": [None, kind],
            "threshold": [None, str(threshold) if threshold not in (None, "") else None],
            "steps": [
                None,
                [
                    {
                        "role": s.get("role", ""),
                        "approvers": [str(getattr(u, "pk", u)) for u in s.get("approvers", [])],
                    }
                    for s in steps
                ],
            ],
        },
    )
    return rule


# What a new company starts with, so that no price, discount or size of order confirms without
# review until an administrator decides otherwise (rules can be switched off, never deleted).
DEFAULT_RULES = (
    (
        RuleKind.BELOW_PRICE_LIST,
        Decimal("10"),
        gettext_lazy("Unit price more than 10% below the price list"),
    ),
    (RuleKind.LINE_DISCOUNT, Decimal("15"), gettext_lazy("Discount above 15%")),
    (RuleKind.ORDER_TOTAL, Decimal("50000"), gettext_lazy("Order total of 50,000 or more")),
)


@transaction.atomic
def approval_rules_setup_defaults(*, company) -> list[ApprovalRule]:
    """Give a company the default approval rules (``DEFAULT_RULES``: a unit price more than
    10 % below the price list, an effective line discount above 15 %, an order total of
    50,000 or more in the company currency), named in its language and approved by anyone
    who may approve orders. Kinds the company already has a rule for are left alone, so
    running it again adds nothing."""
    from django.utils import translation

    have = set(ApprovalRule.objects.for_company(company).values_list("kind", flat=True))
    made = []
    with translation.override(company.default_language):
        for kind, threshold, name in DEFAULT_RULES:
            if kind not in have:
                made.append(
                    ApprovalRule.objects.create(
                        company=company, name=str(name), kind=kind, threshold=threshold
                    )
                )
    return made


@transaction.atomic
def approval_rule_set_active(*, rule: ApprovalRule, actor, active: bool) -> ApprovalRule:
    """Switch a rule on or off. Orders already waiting keep the steps they were given;
    the change applies from the next submission."""
    access_for(actor, rule.company).require(Perm.SETTINGS_EDIT)
    if rule.is_active != active:
        rule.is_active = active
        rule.save(update_fields=["is_active"])
        audit.record(
            actor=actor, entity=rule, action="update", changes={"is_active": [not active, active]}
        )
    return rule


def order_send_to_customer(*, order: SalesOrder, actor) -> None:
    """Email the order confirmation (with its PDF, in the customer's language) to the order's
    contact or the customer, through the outbox: it goes out once the transaction commits and
    is retried until delivered. Only a confirmed (or later) order can be sent."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_EDIT)
    if order.status not in workflow.SENDABLE:
        raise InvalidTransition(
            params={"action": "send", "status": Status(order.status).label},
            details={"status": order.status},
        )
    contact_email = order.contact.email if order.contact_id else ""
    address = contact_email or order.customer.email
    if not address:
        from ordercrm.sales.exceptions import NoCustomerEmail

        raise NoCustomerEmail()
    with transaction.atomic():
        events.emit(
            type="order.sent",
            entity=order,
            actor=actor,
            payload={"number": order.number, "to": address},
        )
        audit.record(actor=actor, entity=order, action="send", changes={"to": [None, address]})


def order_action(
    *,
    order: SalesOrder,
    actor,
    action: str,
    version: int | None = None,
    note: str = "",
    credit: bool = False,
) -> SalesOrder:
    """Run one workflow action by name, for the interfaces that offer them as buttons or
    endpoints (web, API). ``note`` is the comment or reason the action takes; ``credit``
    marks a hold as a credit hold, and makes a cancel credit the order's issued invoices.
    Unknown names are ``core.not_found``."""
    calls = {
        "submit": lambda: order_submit(order=order, actor=actor, version=version),
        "approve": lambda: order_approve(order=order, actor=actor, version=version, comment=note),
        "reject": lambda: order_reject(order=order, actor=actor, version=version, reason=note),
        "request_changes": lambda: order_request_changes(
            order=order, actor=actor, version=version, comment=note
        ),
        "reopen": lambda: order_reopen(order=order, actor=actor, version=version),
        "hold": lambda: order_hold(
            order=order, actor=actor, version=version, reason=note, credit=credit
        ),
        "release": lambda: order_release(order=order, actor=actor, version=version),
        "close": lambda: order_close(order=order, actor=actor, version=version, reason=note),
        "resume": lambda: order_resume(order=order, actor=actor, version=version),
        "cancel": lambda: order_cancel(
            order=order, actor=actor, version=version, reason=note, credit_invoices=credit
        ),
    }
    if action not in calls:
        raise NotFound(details={"action": action})
    return calls[action]()
