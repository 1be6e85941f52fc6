"""Exports of every list — customers, products, price lists with their prices, stock, orders,
invoices, payments — as CSV or XLSX, with the list's filters, for the web's Export links, the
API's export endpoint and ``ordercrm export``.

One :class:`ExportKind` per list says, once, which query-string names it reads (the same
names as the list page, parsed by the list's own ``core.filters.ListFilter``), which rows it
takes (the list's scoped selector: a sales rep exports only their own customers and orders)
and its columns (a translated heading, a value, and whether the value is an amount, a
quantity or a date). :func:`export` parses the filters and checks the permissions at once, so
a refusal is an ordinary error before anything is sent; :meth:`Export.chunks` then writes the
file through ``core.spreadsheets`` (formula-like text inert, amounts numbers, dates real dates
in XLSX) while reading the rows from a database iterator in chunks, so memory does not grow
with the number of rows and the number of queries does not either (a customer's tags come in
its row).

Lives with the imports: both are the company's data in and out, above every domain app they
read.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ordercrm.accounts.access import Access
from ordercrm.billing.filters import (
    ExchangeDifferenceFilter,
    InvoiceListFilter,
    PaymentListFilter,
)
from ordercrm.billing.models import Invoice, Payment
from ordercrm.catalog.filters import PriceListFilter, ProductListFilter
from ordercrm.core import spreadsheets
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.filters import ListFilter
from ordercrm.customers.filters import CustomerListFilter
from ordercrm.customers.models import Customer
from ordercrm.inventory.filters import StockLevelFilter
from ordercrm.sales.filters import OrderListFilter
from ordercrm.sales.models import SalesOrder

FORMATS = ("csv", "xlsx")
CHUNK_ROWS = 2000

TEXT, MONEY, QUANTITY, RATE, DATE = "text", "money", "quantity", "rate", "date"
# Excel number formats by column kind (date cells get yyyy-mm-dd from the writer).
NUMBER_FORMATS = {MONEY: "#,##0.00", QUANTITY: "#,##0.####", RATE: "0.000000"}


@dataclasses.dataclass(frozen=True)
class Column:
    header: Any  # a lazy translated heading, worded when the file is written
    value: Callable[[Any], Any]
    kind: str = TEXT


@dataclasses.dataclass(frozen=True)
class ExportKind:
    """One exportable list: its query-string names (→ its filter's fields), its rows and
    columns."""

    name: str
    title: Any
    filter: type[ListFilter]
    params: Mapping[str, str]
    query: Callable[[Access, Any], QuerySet]  # the rows; its selector checks the permission
    columns: tuple[Column, ...]
    # rows after the query's (price lists without prices), as a queryset of their own
    more: Callable[[Access, Any], QuerySet] | None = None
    wrap: Callable[[Any], Any] | None = None  # a record of ``more`` → a row's shape


def _text(value) -> str:
    return "" if value is None else str(value)


def _yes_no(value: bool) -> str:
    return str(_("Yes") if value else _("No"))


def _display(model, field: str) -> Callable[[Any], str]:
    """A choice field's label, from a table worded once per language (``get_FOO_display``
    per row costs more than the rest of the row)."""
    tables: dict[str, dict] = {}
    choices = model._meta.get_field(field).flatchoices

    def label(record) -> str:
        table = tables.get(translation.get_language())
        if table is None:
            table = tables[translation.get_language()] = {k: str(v) for k, v in choices}
        value = getattr(record, field)
        return table.get(value, value)

    return label


class _Names(Aggregate):
    """Names joined with ", " in one column (GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL), so a customer's tags come with its row instead of a query per chunk."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ', ')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra)


def _with_tag_names(customers: QuerySet) -> QuerySet:
    through = Customer.tags.through
    names = (
        through.objects.filter(customer_id=OuterRef("pk"))
        .values("customer_id")
        .annotate(names=_Names("customertag__name"))
        .values("names")
    )
    return customers.annotate(tag_names=Subquery(names))


def _tags(customer) -> str:
    return ", ".join(sorted(n for n in (customer.tag_names or "").split(", ") if n))


# ---------------------------------------------------------------- the kinds


CUSTOMERS = ExportKind(
    name="customers",
    title=_("Customers"),
    filter=CustomerListFilter,
    params={"q": "search", "status": "status"},
    query=lambda access, filters: _with_tag_names(
        filters.customers(access).select_related("price_list")
    ),
    columns=(
        Column(_("Code"), lambda c: c.code),
        Column(_("Name"), lambda c: c.name),
        Column(_("Type"), _display(Customer, "kind")),
        Column(_("Tax ID"), lambda c: c.tax_id),
        Column(_("Phone"), lambda c: c.phone),
        Column(_("Email"), lambda c: c.email),
        Column(_("Language"), _display(Customer, "language")),
        Column(_("Currency"), lambda c: c.currency),
        Column(_("Salesperson"), lambda c: _text(c.owner)),
        Column(_("Sales team"), lambda c: _text(c.team)),
        Column(_("Tags"), _tags),
        Column(_("Price list"), lambda c: _text(c.price_list)),
        Column(_("Payment terms"), lambda c: _text(c.payment_terms)),
        Column(_("Credit limit"), lambda c: c.credit_limit, MONEY),
        Column(_("Receivable balance"), lambda c: c.receivable_balance, MONEY),
        Column(_("Active"), lambda c: _yes_no(c.is_active)),
        Column(_("Created"), lambda c: c.created_at, DATE),
    ),
)

PRODUCTS = ExportKind(
    name="products",
    title=_("Products"),
    filter=ProductListFilter,
    params={"q": "search", "category": "category_id", "status": "status"},
    query=lambda access, filters: filters.products(access),
    columns=(
        Column(_("Product code"), lambda p: p.sku),
        Column(_("Name"), lambda p: p.name),
        Column(_("Category"), lambda p: _text(p.category)),
        Column(_("Unit"), lambda p: _text(p.unit)),
        Column(_("Tax rate"), lambda p: _text(p.tax_rate)),
        Column(_("List price"), lambda p: p.list_price, MONEY),
        Column(_("Cost"), lambda p: p.cost, MONEY),
        Column(_("Barcode"), lambda p: p.barcode),
        Column(_("Stock-tracked"), lambda p: _yes_no(p.is_stock_tracked)),
        Column(_("Active"), lambda p: _yes_no(p.is_active)),
    ),
)


@dataclasses.dataclass
class _NoPrice:
    """A price list without prices, in the shape of a price row."""

    price_list: Any
    product: Any = None
    min_quantity: Any = None
    unit_price: Any = None
    valid_from: Any = None
    valid_to: Any = None


PRICE_LISTS = ExportKind(
    name="price_lists",
    title=_("Price lists"),
    filter=PriceListFilter,
    params={"price_list": "price_list_id", "currency": "currency"},
    # every price of the chosen lists, then one row for each chosen list without prices
    query=lambda access, filters: filters.items(access),
    more=lambda access, filters: filters.price_lists(access).filter(items__isnull=True),
    wrap=_NoPrice,
    columns=(
        Column(_("Price list"), lambda i: i.price_list.name),
        Column(_("Currency"), lambda i: i.price_list.currency),
        Column(_("Default"), lambda i: _yes_no(i.price_list.is_default)),
        Column(_("Active"), lambda i: _yes_no(i.price_list.is_active)),
        Column(_("List valid from"), lambda i: i.price_list.valid_from, DATE),
        Column(_("List valid to"), lambda i: i.price_list.valid_to, DATE),
        Column(_("Product code"), lambda i: i.product.sku if i.product else ""),
        Column(_("Product"), lambda i: i.product.name if i.product else ""),
        Column(_("Unit"), lambda i: _text(i.product.unit) if i.product else ""),
        Column(_("From quantity"), lambda i: i.min_quantity, QUANTITY),
        Column(_("Unit price"), lambda i: i.unit_price, MONEY),
        Column(_("Valid from"), lambda i: i.valid_from, DATE),
        Column(_("Valid to"), lambda i: i.valid_to, DATE),
    ),
)

STOCK = ExportKind(
    name="stock",
    title=_("Stock"),
    filter=StockLevelFilter,
    params={"q": "search", "warehouse": "warehouse_id"},
    query=lambda access, filters: filters.levels(access),
    columns=(
        Column(_("Product code"), lambda s: s.product.sku),
        Column(_("Product"), lambda s: s.product.name),
        Column(_("Unit"), lambda s: _text(s.product.unit)),
        Column(_("Warehouse"), lambda s: s.warehouse.name),
        Column(_("On hand"), lambda s: s.on_hand, QUANTITY),
        Column(_("Reserved"), lambda s: s.reserved, QUANTITY),
        Column(_("Available"), lambda s: s.on_hand - s.reserved, QUANTITY),
    ),
)


ORDERS = ExportKind(
    name="orders",
    title=_("Orders"),
    filter=OrderListFilter,
    params={
        "q": "search",
        "status": "status",
        "fulfilment": "fulfilment",
        "invoicing": "invoicing",
        "payment": "payment",
        "salesperson": "salesperson_id",
        "customer": "customer_id",
        "from": "date_from",
        "to": "date_to",
    },
    query=lambda access, filters: filters.orders(access).select_related("customer", "salesperson"),
    columns=(
        Column(_("Number"), lambda o: o.number),
        Column(_("Customer"), lambda o: o.customer.name),
        Column(_("Status"), _display(SalesOrder, "status")),
        Column(_("Order date"), lambda o: o.order_date, DATE),
        Column(_("Currency"), lambda o: o.currency),
        Column(_("Total"), lambda o: o.gross_total, MONEY),
        Column(_("Customer code"), lambda o: o.customer.code),
        Column(_("Customer PO reference"), lambda o: o.customer_reference),
        Column(_("Requested delivery date"), lambda o: o.requested_date, DATE),
        Column(_("Salesperson"), lambda o: _text(o.salesperson)),
        Column(_("Net total"), lambda o: o.net_total, MONEY),
        Column(_("Tax"), lambda o: o.tax_total, MONEY),
        Column(_("Invoiced"), lambda o: o.amount_invoiced, MONEY),
        Column(_("Paid"), lambda o: o.amount_paid, MONEY),
    ),
)

INVOICES = ExportKind(
    name="invoices",
    title=_("Invoices"),
    filter=InvoiceListFilter,
    params={"q": "search", "status": "status", "kind": "kind", "customer": "customer_id"},
    query=lambda access, filters: filters.invoices(access),
    columns=(
        Column(_("Number"), lambda i: i.number),
        Column(_("Type"), _display(Invoice, "kind")),
        Column(_("Status"), _display(Invoice, "status")),
        Column(_("Invoice date"), lambda i: i.issue_date, DATE),
        Column(_("Due date"), lambda i: i.due_date, DATE),
        Column(_("Customer code"), lambda i: i.customer.code),
        Column(_("Customer"), lambda i: i.customer.name),
        Column(_("Order"), lambda i: i.order.number),
        Column(_("Currency"), lambda i: i.currency),
        Column(_("Net total"), lambda i: i.net_total, MONEY),
        Column(_("Tax"), lambda i: i.tax_total, MONEY),
        Column(_("Total"), lambda i: i.gross_total, MONEY),
        Column(_("Paid"), lambda i: i.amount_paid, MONEY),
        Column(_("Credited"), lambda i: i.amount_credited, MONEY),
        Column(_("Open amount"), lambda i: i.open_amount, MONEY),
        Column(_("Exchange rate"), lambda i: i.exchange_rate, RATE),
    ),
)

PAYMENTS = ExportKind(
    name="payments",
    title=_("Payments"),
    filter=PaymentListFilter,
    params={"customer": "customer_id", "from": "date_from", "to": "date_to"},
    query=lambda access, filters: filters.payments(access),
    columns=(
        Column(_("Number"), lambda p: p.number),
        Column(_("Payment date"), lambda p: p.received_on, DATE),
        Column(_("Customer code"), lambda p: p.customer.code),
        Column(_("Customer"), lambda p: p.customer.name),
        Column(_("Order"), lambda p: p.order.number if p.order_id else ""),
        Column(_("Payment method"), _display(Payment, "method")),
        Column(_("Reference"), lambda p: p.reference),
        Column(_("Currency"), lambda p: p.currency),
        Column(_("Amount"), lambda p: p.amount, MONEY),
        Column(_("Allocated"), lambda p: p.amount_allocated, MONEY),
        Column(_("Unallocated"), lambda p: p.unallocated, MONEY),
        Column(_("Exchange rate"), lambda p: p.exchange_rate, RATE),
        Column(_("Void"), lambda p: _yes_no(p.voided_at is not None)),
    ),
)

EXCHANGE_DIFFERENCES = ExportKind(
    name="exchange_differences",
    title=_("Exchange gains and losses"),
    filter=ExchangeDifferenceFilter,
    params={
        "q": "search",
        "currency": "currency",
        "customer": "customer_id",
        "from": "date_from",
        "to": "date_to",
    },
    query=lambda access, filters: filters.differences(access),
    columns=(
        Column(_("Date"), lambda a: a.created_at, DATE),
        Column(_("Payment"), lambda a: a.payment.number),
        Column(_("Payment date"), lambda a: a.payment.received_on, DATE),
        Column(_("Invoice"), lambda a: a.invoice.number),
        Column(_("Customer code"), lambda a: a.invoice.customer.code),
        Column(_("Customer"), lambda a: a.invoice.customer.name),
        Column(_("Currency"), lambda a: a.payment.currency),
        Column(_("Amount"), lambda a: a.amount, MONEY),
        Column(_("Invoice rate"), lambda a: a.invoice.exchange_rate, RATE),
        Column(_("Payment rate"), lambda a: a.payment.exchange_rate, RATE),
        Column(
            _("At the invoice's rate (company currency)"), lambda a: a.invoice_base_amount, MONEY
        ),
        Column(_("At the payment's rate (company currency)"), lambda a: a.base_amount, MONEY),
        Column(_("Exchange gain/loss (company currency)"), lambda a: a.exchange_difference, MONEY),
    ),
)

KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        CUSTOMERS,
        PRODUCTS,
        PRICE_LISTS,
        STOCK,
        ORDERS,
        INVOICES,
        PAYMENTS,
        EXCHANGE_DIFFERENCES,
    )
}


# ---------------------------------------------------------------- writing


@dataclasses.dataclass
class Export:
    """A parsed, permitted export, ready to be written: ``chunks()`` yields the file."""

    kind: ExportKind
    query: QuerySet
    more: QuerySet | None
    fmt: str
    language: str
    zone: str  # the company's time zone: a moment is exported as the company's day

    @property
    def filename(self) -> str:
        return f"{self.kind.name}.{self.fmt}"

    @property
    def content_type(self) -> str:
        return (
            spreadsheets.XLSX_CONTENT_TYPE if self.fmt == "xlsx" else spreadsheets.CSV_CONTENT_TYPE
        )

    def count(self) -> int:
        """How many rows the export has (one or two queries; for a progress bar)."""
        return self.query.count() + (self.more.count() if self.more is not None else 0)

    def records(self) -> Iterator:
        """The records, read from the database in chunks of :data:`CHUNK_ROWS`."""
        yield from self.query.iterator(chunk_size=CHUNK_ROWS)
        if self.more is not None:
            for record in self.more.iterator(chunk_size=CHUNK_ROWS):
                yield self.kind.wrap(record)

    def rows(self) -> Iterator[list]:
        """The cell values row by row; a moment in a date column is its day in the company's
        time zone."""
        zone = zoneinfo.ZoneInfo(self.zone)
        columns = self.kind.columns
        for record in self.records():
            row = []
            for column in columns:
                value = column.value(record)
                if column.kind == DATE and hasattr(value, "tzinfo"):  # a datetime → its day
                    value = value.astimezone(zone).date()
                elif column.kind == TEXT and value is not None:
                    value = str(value)
                row.append(value)
            yield row

    def chunks(self, rows: Iterable[list] | None = None) -> Iterator[bytes]:
        """The file in chunks, worded in the viewer's language. ``rows`` (default
        :meth:`rows`) lets a caller wrap them, e.g. in a progress bar."""
        with translation.override(self.language):
            header = [str(column.header) for column in self.kind.columns]
            rows = self.rows() if rows is None else rows
            if self.fmt == "xlsx":
                formats = {
                    i: NUMBER_FORMATS[c.kind]
                    for i, c in enumerate(self.kind.columns)
                    if c.kind in NUMBER_FORMATS
                }
                yield from spreadsheets.stream_xlsx(
                    header, rows, title=str(self.kind.title), number_formats=formats
                )
            else:
                yield from spreadsheets.stream_csv(header, rows)


def field_names(kind: str) -> dict[str, str]:
    """A list's filters under their own field names (``date_from``, ``customer_id``): the
    API's names, as its list endpoints spell them."""
    return {f.name: f.name for f in dataclasses.fields(KINDS[kind].filter)}


def export(
    access: Access,
    kind: str,
    raw: Mapping[str, Any],
    fmt: str = "csv",
    *,
    names: Mapping[str, str] | None = None,
) -> Export:
    """The export of list ``kind`` (a name of :data:`KINDS`) with the filters in ``raw``
    (under the list page's query-string names, or ``names``: parameter → filter field), as
    ``fmt`` (``csv`` or ``xlsx``), for ``access``.

    Raises ``core.not_found`` for an unknown kind, ``ValidationFailed`` for an unknown format
    or an unreadable filter (naming the parameter), ``PermissionDenied`` when the viewer may
    not see the list — all before any row is read."""
    found = KINDS.get(kind)
    if found is None:
        raise NotFound(details={"kind": kind, "choices": list(KINDS)})
    if fmt not in FORMATS:
        raise ValidationFailed(details={"fields": {"format": [" | ".join(FORMATS)]}})
    filters = found.filter.parse(raw, found.params if names is None else names)
    # Building the querysets runs the selectors' permission checks; nothing is read yet.
    return Export(
        kind=found,
        query=found.query(access, filters),
        more=found.more(access, filters) if found.more else None,
        fmt=fmt,
        language=translation.get_language() or "en",
        zone=access.company.timezone,
    )
