"""Lines and totals: building lines from input (product, quantity, price, discount), pricing
them in one batch, the order's totals in order and company currency, the exchange rate fixed
at confirmation, and the snapshots and diffs the audit trail and revisions keep.

Query counts do not depend on the number of lines: lines are read once, priced in one batch
and written with bulk statements.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ordercrm.catalog.models import Product
from ordercrm.catalog.pricing import NoPrice, mapped_price, prices_for, tax_mapping_rules
from ordercrm.catalog.selectors import exchange_rate_on, products_for_rows
from ordercrm.core import audit
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.money import ZERO, round_to
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import RowErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.sales.calculations import LineInput, compute_totals, to_company_currency
from ordercrm.sales.exceptions import ExchangeRateMissing, NegativeTotal, TooManyLines
from ordercrm.sales.models import LineKind, SalesOrder, SalesOrderLine
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


_company_today = company_today  # the one helper is core's; the services import it by this name


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
    errors = RowErrors()
    fail = errors.add
    named_products = products_for_rows(company, raw_lines)

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
        product = named_products[index]
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
        elif quantity == 0 and not company.allow_zero_quantity_lines:
            fail(index, "quantity", _("Enter a quantity above zero."))
        elif quantity != quantity.quantize(Decimal(1).scaleb(-product.unit.decimals)):
            fail(
                index,
                "quantity",
                _("%(unit)s allows %(decimals)s decimals.")
                % {"unit": product.unit.label(), "decimals": product.unit.decimals},
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
        line.is_kit = product.is_kit
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
            if price < 0 and product.is_stock_tracked:
                # a negative price is a discount or rebate line: a product that moves no
                # stock (a service), never goods that would ship at a negative price
                fail(
                    index,
                    "unit_price",
                    _(
                        "A negative price is for a discount or rebate line: choose a product "
                        "that is not stock-tracked."
                    ),
                )
            line.unit_price = price
            line.price_overridden = not keep_prices or bool(raw.get("price_overridden", True))
        to_price.append((len(lines), product, quantity))
        raw_index[len(lines)] = index
        lines.append(line)
    errors.raise_if_any()
    # the customer's tax mapping (e.g. export: 13 % → 0 %); with tax-inclusive prices the
    # price-list price moves with the rate so that the net stays what it was
    mapped_from = _map_taxes(order, [lines[position] for position, _p, _q in to_price])
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
        quoted = quote.unit_price if quote is not None else None
        if quoted is not None and id(line) in mapped_from and company.prices_include_tax:
            quoted = _price_places(mapped_price(quoted, mapped_from[id(line)], line.tax_percent))
        line.list_unit_price = quoted if quoted is not None else line.unit_price
        line.price_rule_id = quote.rule_id if quote is not None else None
        if not explicit:
            line.unit_price = quoted
        line.price_overridden = line.unit_price != line.list_unit_price
    if errors:
        raise ValidationFailed(code=NoPrice.code, details={"lines": errors})
    return lines


def _map_taxes(order: SalesOrder, lines: list[SalesOrderLine]) -> dict[int, Decimal]:
    """Give product lines the rate the customer's tax mapping puts in place of their
    product's (one query); returns ``{id(line): the percent it replaced}`` for those mapped."""
    rules = tax_mapping_rules(order.customer if order.customer_id else None)
    replaced = {}
    for line in lines:
        target = rules.get(line.tax_rate_id)
        if target is not None:
            replaced[id(line)] = line.tax_percent
            line.tax_rate, line.tax_percent = target, target.rate
    return replaced


def _price_places(price: Decimal) -> Decimal:
    return round_to(price, SalesOrderLine._meta.get_field("unit_price").decimal_places)


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
    if min(totals.net, totals.tax) < 0:  # the net and the tax of the whole order
        raise NegativeTotal(details={"net_total": str(totals.net), "tax_total": str(totals.tax)})
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


def _lines_of(order: SalesOrder) -> list[SalesOrderLine]:
    """The lines of an order, in position order (locked ones: ``sales.locks``)."""
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


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
