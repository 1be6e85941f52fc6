"""Reads of billing: invoices and credit notes through visible orders, payments through
visible customers, receivables with aging, documents, the finance export and the exchange
differences realised over a period."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access
from ordercrm.billing.models import (
    INSTALMENT_OPEN,
    INVOICE_IS_OPEN,
    OPEN_BASE,
    OPEN_INVOICE_STATUSES,
    Invoice,
    InvoiceInstalment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentRefund,
)
from ordercrm.core import spreadsheets
from ordercrm.core.documents import Formatter, document_language, render_pdf
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.money import ZERO, round_money, round_to
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.sales import selectors as sales_selectors

OPEN = OPEN_INVOICE_STATUSES
AGING_BUCKETS = (("0_30", 0, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("90_plus", 91, None))


def invoice_list(
    access: Access,
    *,
    order_id=None,
    customer_id=None,
    status: str = "",
    kind: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    search: str = "",
) -> QuerySet[Invoice]:
    """Invoices and credit notes of the orders the caller may see."""
    visible = sales_selectors.order_list(access).values("pk")  # and ``order_view`` checked
    invoices = Invoice.objects.for_company(access.company).select_related("customer", "order")
    if access.owner_filter("salesperson", "team") != Q():
        # a company-wide viewer sees every order: the semi-join would only cost (one index
        # probe per invoice, half the receivables totals' time at 100k orders)
        invoices = invoices.filter(order_id__in=visible)
    if order_id:
        invoices = invoices.filter(order_id=parse_id(order_id))
    if customer_id:
        invoices = invoices.filter(customer_id=parse_id(customer_id))
    if status:
        invoices = invoices.filter(status=status)
    if kind:
        invoices = invoices.filter(kind=kind)
    if start:
        invoices = invoices.filter(issue_date__gte=start)
    if end:
        invoices = invoices.filter(issue_date__lte=end)
    if search.strip():
        term = search.strip()
        invoices = invoices.filter(
            Q(number__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(order__number__icontains=term)
        )
    return invoices.order_by("-created_at", "-id")


def _next_due(company_id) -> Subquery:
    """The due date of an invoice's earliest instalment still open (``OuterRef`` invoice)."""
    return Subquery(
        InvoiceInstalment.objects.for_company(company_id)
        .filter(invoice=OuterRef("pk"))
        .annotate(still_open=INSTALMENT_OPEN)
        .filter(still_open__gt=0)
        .order_by("due_date", "position")
        .values("due_date")[:1]
    )


def with_next_due(invoices: QuerySet[Invoice], company_id) -> QuerySet[Invoice]:
    """Invoices annotated with ``next_due``: when their earliest open instalment falls due
    (overdue is by instalment: a 30 % instalment past due makes the invoice overdue)."""
    return invoices.annotate(next_due=_next_due(company_id))


def overdue_invoices(access: Access, today: datetime.date) -> QuerySet[Invoice]:
    """Open invoices with an instalment past its due date, the longest overdue first."""
    return (
        with_next_due(invoice_list(access, kind=InvoiceKind.INVOICE), access.company.pk)
        .filter(status__in=OPEN, next_due__lt=today)
        .order_by("next_due", "number")
    )


def invoice_instalments(invoice: Invoice) -> list[InvoiceInstalment]:
    return list(
        InvoiceInstalment.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .order_by("position")
    )


def _open_parts(invoices: list[Invoice]) -> list[tuple[Invoice, Decimal, datetime.date | None]]:
    """(invoice, open amount in the company currency, due date) per open instalment of
    ``invoices``: the instalment's stored share of the invoice's open base, or the whole
    open base of an invoice without instalments at its due date; one query."""
    if not invoices:
        return []
    by_id = {invoice.pk: invoice for invoice in invoices}
    parts, seen = [], set()
    rows = (
        InvoiceInstalment.objects.for_company(invoices[0].company_id)
        .filter(invoice_id__in=list(by_id))
        .order_by("invoice_id", "position")
    )
    for row in rows:
        seen.add(row.invoice_id)
        if row.open_amount > 0:
            parts.append((by_id[row.invoice_id], row.open_base, row.due_date))
    for invoice in invoices:
        if invoice.pk not in seen and invoice.open_amount > 0:
            parts.append((invoice, invoice.open_base, invoice.due_date))
    return parts


def _bucket(late: int) -> str:
    for name, low, high in AGING_BUCKETS:
        if late >= low and (high is None or late <= high):
            return name
    return AGING_BUCKETS[0][0]


def invoice_get(access: Access, invoice_id) -> Invoice:
    invoice = invoice_list(access).filter(pk=parse_id(invoice_id)).first()
    if invoice is None:
        raise NotFound(details={"invoice_id": str(invoice_id)})
    return invoice


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(
        InvoiceLine.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .select_related("order_line", "order_line__product", "order_line__unit")
        .order_by("position")
    )


def payment_list(
    access: Access,
    *,
    customer_id=None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> QuerySet[Payment]:
    """Payments of the customers the caller may see."""
    access.require(Perm.CUSTOMER_VIEW)
    visible = customer_selectors.customer_list(access, include_inactive=True).values("pk")
    payments = (
        Payment.objects.for_company(access.company)
        .filter(customer_id__in=visible)
        .select_related("customer", "order")
    )
    if customer_id:
        payments = payments.filter(customer_id=parse_id(customer_id))
    if start:
        payments = payments.filter(received_on__gte=start)
    if end:
        payments = payments.filter(received_on__lte=end)
    return payments.order_by("-received_on", "-created_at")


def order_payments(access: Access, order) -> QuerySet[Payment]:
    """Payments for one visible order: its advances and those allocated to its invoices."""
    from django.db.models import Q

    return (
        payment_list(access, customer_id=order.customer_id)
        .filter(Q(order_id=order.pk) | Q(allocations__invoice__order_id=order.pk))
        .distinct()
    )


@dataclass
class Receivables:
    """A customer's position in the company currency."""

    balance: Decimal  # unpaid invoices − unallocated credit
    unpaid: Decimal
    credit: Decimal
    open_invoices: list[Invoice]
    aging: dict[str, Decimal] = field(default_factory=dict)
    overdue_count: int = 0
    # Payments with unallocated credit (advances of cancelled orders included), oldest first.
    credit_payments: list[Payment] = field(default_factory=list)


def days_overdue(invoice: Invoice, today: datetime.date) -> int:
    """Days since the earliest open instalment fell due (``next_due``, from
    ``with_next_due``), else since the invoice's due date; 0 when not yet due."""
    due = getattr(invoice, "next_due", None) or invoice.due_date
    return max((today - due).days, 0) if due else 0


def customer_receivables(access: Access, customer_id, today: datetime.date) -> Receivables:
    """Balance, open invoices (with overdue flags: an instalment past due) and aging of
    each open instalment by days past its due date: 0–30 (including not yet due), 31–60,
    61–90 and over 90."""
    customer = customer_selectors.customer_get(access, customer_id)
    receivables = list(
        with_next_due(
            Invoice.objects.for_company(access.company).filter(INVOICE_IS_OPEN, customer=customer),
            access.company.pk,
        )
        .select_related("order")
        .order_by("next_due", "due_date", "number")
    )
    aging = {name: ZERO for name, _low, _high in AGING_BUCKETS}
    overdue = 0
    for invoice in receivables:
        late = days_overdue(invoice, today)
        invoice.days_overdue = late
        invoice.is_overdue = late > 0
        overdue += invoice.is_overdue
    # aging by instalment: each open instalment in the bucket of its own due date
    for _invoice, open_base, due in _open_parts(receivables):
        late = max((today - due).days, 0) if due else 0
        aging[_bucket(late)] += open_base
    return Receivables(
        balance=customer.receivable_balance - customer.advance_balance,
        unpaid=customer.receivable_balance,
        credit=customer.advance_balance,
        open_invoices=receivables,
        aging=aging,
        overdue_count=overdue,
        credit_payments=list(
            Payment.objects.for_company(access.company)
            .filter(
                customer=customer,
                amount__gt=F("amount_allocated") + F("amount_refunded"),
            )
            .order_by("received_on", "number")
        ),
    )


@dataclass
class Aging:
    """Open receivables by days past due, in company currency: ``customers`` (those with
    something open, by name: a queryset, so a page of them is read, not all) and
    ``totals`` of every bucket over all of them; ``rows(customers)`` gives a page's rows."""

    access: Access
    today: datetime.date
    customers: QuerySet
    totals: dict

    def rows(self, customers) -> list[dict]:
        """``{"customer": AgingCustomer, <bucket>: amount, …}`` for these customers, in
        their order: two grouped queries, whatever the number of their invoices."""
        customers = list(customers)
        found = {c.pk: dict.fromkeys(AGING_NAMES, ZERO) for c in customers}
        for part in _aging_parts(self.access, self.today, [c.pk for c in customers]):
            for name in AGING_NAMES:
                found[part["owner"]][name] += part[name] or ZERO
        return [{"customer": AgingCustomer(c.pk, c.name), **found[c.pk]} for c in customers]


AGING_NAMES = [name for name, _low, _high in AGING_BUCKETS]


def open_invoices(access: Access) -> QuerySet[Invoice]:
    """The receivables the caller may see: invoices (not credit notes) issued or part-paid
    with something still open (``billing.models.INVOICE_IS_OPEN``, the one rule)."""
    return invoice_list(access).filter(INVOICE_IS_OPEN)


def _aging_parts(access: Access, today: datetime.date, customer_ids=None):
    """The bucket sums (company currency) of the open instalments' stored open base, and of
    the open base of open invoices without instalments at their due date (none: not yet
    due): grouped by customer for ``customer_ids``, or two rows of totals over every
    customer when it is ``None``. Over all buckets they add up to the invoices' open base
    amounts (the receivable balances) to the cent."""
    from django.db.models import DecimalField, ExpressionWrapper, Sum

    receivables = open_invoices(access)
    instalments = InvoiceInstalment.objects.for_company(access.company)

    def buckets(due: str, open_base) -> dict:
        in_base = ExpressionWrapper(
            open_base, output_field=DecimalField(max_digits=24, decimal_places=2)
        )
        sums = {}
        for name, low, high in AGING_BUCKETS:
            # late = today - due, in days; not yet due (or no due date) is 0 days late
            window = Q(**{f"{due}__lte": today - datetime.timedelta(days=low)}) if low else Q()
            if high is not None:
                window &= Q(**{f"{due}__gte": today - datetime.timedelta(days=high)})
            if not low:
                window |= Q(**{f"{due}__gt": today}) | Q(**{f"{due}__isnull": True})
            sums[name] = Sum(in_base, filter=window)
        return sums

    per_instalment = (
        instalments.filter(invoice__in=receivables.values("pk"))
        .alias(still_open=INSTALMENT_OPEN)
        .filter(still_open__gt=0)
        .order_by()
    )
    whole = receivables.exclude(pk__in=instalments.values("invoice_id")).order_by()
    by_instalment = buckets("due_date", F("open_base"))
    by_invoice = buckets("due_date", OPEN_BASE)
    if customer_ids is None:
        return [per_instalment.aggregate(**by_instalment), whole.aggregate(**by_invoice)]
    return [
        *per_instalment.filter(invoice__customer_id__in=customer_ids)
        .values(owner=F("invoice__customer_id"))
        .annotate(**by_instalment),
        *whole.filter(customer_id__in=customer_ids)
        .values(owner=F("customer_id"))
        .annotate(**by_invoice),
    ]


def aging_report(access: Access, today: datetime.date) -> Aging:
    """Receivables aging: each open instalment in the bucket of its own due date, summed
    in SQL (no invoice is loaded); the customers are a queryset to page through."""
    from django.db.models import Exists

    from ordercrm.customers.models import Customer

    open_left = open_invoices(access).filter(customer_id=OuterRef("pk"))
    customers = (
        Customer.objects.for_company(access.company)
        .filter(Exists(open_left))
        .only("pk", "name")
        .order_by("name", "pk")
    )
    totals = dict.fromkeys(AGING_NAMES, ZERO)
    for part in _aging_parts(access, today):
        for name in AGING_NAMES:
            totals[name] += part[name] or ZERO
    return Aging(access, today, customers, totals)


@dataclass(frozen=True)
class AgingCustomer:
    """The customer of an aging row: its id and name are all the report shows."""

    pk: object
    name: str


# ---------------------------------------------------------------- documents


def invoice_pdf(access: Access, invoice_id, language: str | None = None) -> bytes:
    """The invoice or credit note as PDF, in the customer's language unless one is given."""
    return render_invoice_pdf(invoice_get(access, invoice_id), language)


def render_invoice_pdf(invoice: Invoice, language: str | None = None) -> bytes:
    """The document of ``invoice`` (no access check: for the system, e.g. emails)."""
    language = document_language(language or invoice.customer.language)
    fmt = Formatter(language)
    money = lambda amount: fmt.money(amount, invoice.currency)  # noqa: E731
    rows = [
        {
            "sku": x.order_line.product.sku if x.order_line.product else "",
            "description": x.description,
            "quantity": fmt.quantity(x.quantity),
            "unit": x.order_line.unit.label(fmt.language) if x.order_line.unit else "",
            "unit_price": money(x.unit_price),
            "discount": fmt.percent(x.discount_percent) if x.discount_percent else "",
            "tax_rate": fmt.percent(x.tax_percent),
            "net": money(x.net),
            "gross": money(x.gross),
            "over": fmt.quantity(x.qty_over_invoiced) if x.qty_over_invoiced else "",
        }
        for x in invoice_lines(invoice)
    ]
    return render_pdf(
        "billing/invoice.html",
        {
            "company": invoice.order.company,
            "invoice": invoice,
            "order": invoice.order,
            "customer": invoice.customer,
            "rows": rows,
            "is_credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
            "issue_date": fmt.date(invoice.issue_date),
            "due_date": fmt.date(invoice.due_date),
            "net_total": money(invoice.net_total),
            "tax_total": money(invoice.tax_total),
            "gross_total": money(invoice.gross_total),
            "amount_paid": money(invoice.amount_paid),
            "open_amount": money(invoice.open_amount),
            # a foreign-currency document also states its rate and its company-currency
            # amounts (at that rate, as stored: ``company_gross_total``, ``open_base``)
            "base": _document_base(invoice, fmt),
            "instalments": [
                {
                    "due_date": fmt.date(x.due_date),
                    "percent": fmt.percent(x.percent),
                    "amount": money(x.amount),
                    "open": money(x.open_amount),
                }
                for x in invoice_instalments(invoice)
            ]
            if invoice.kind == InvoiceKind.INVOICE
            else [],
        },
        language,
    )


def _document_base(invoice: Invoice, fmt: Formatter) -> dict | None:
    """The rate and company-currency amounts a document in a foreign currency shows (None
    for one in the company currency)."""
    base = invoice.order.company.base_currency
    if invoice.currency == base:
        return None
    return {
        "currency": base,
        "rate": fmt.quantity(invoice.exchange_rate),
        "gross_total": fmt.money(invoice.company_gross_total, base),
        "open": fmt.money(invoice.open_base, base),
    }


# ---------------------------------------------------------------- finance export

EXPORT_HEADER = [
    "type",
    "number",
    "date",
    "due_date",
    "status",
    "customer_code",
    "customer",
    "order",
    "method",
    "reference",
    "currency",
    "net",
    "tax",
    "gross",
    "exchange_rate",
    "company_amount",
    "allocated",
]


def finance_rows(access: Access, start: datetime.date, end: datetime.date) -> list[list]:
    """Invoices, credit notes and payments dated within [start, end], oldest first."""
    if not (access.can(Perm.INVOICE_EDIT) or access.can(Perm.REPORT_VIEW)):
        access.require(Perm.INVOICE_EDIT)
    if start > end:
        raise ValidationFailed(details={"fields": {"end": ["end < start"]}})
    rows = []
    for invoice in (
        invoice_list(access, start=start, end=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("issue_date", "number")
    ):
        rows.append(
            [
                invoice.kind,
                invoice.number,
                invoice.issue_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else "",
                invoice.status,
                invoice.customer.code,
                invoice.customer.name,
                invoice.order.number,
                "",
                "",
                invoice.currency,
                invoice.net_total,
                invoice.tax_total,
                invoice.gross_total,
                invoice.exchange_rate,
                invoice.company_gross_total,
                invoice.amount_paid,
            ]
        )
    for payment in payment_list(access, start=start, end=end).order_by("received_on", "number"):
        rows.append(
            [
                "payment",
                payment.number,
                payment.received_on.isoformat(),
                "",
                "",
                payment.customer.code,
                payment.customer.name,
                payment.order.number if payment.order else "",
                payment.method,
                payment.reference,
                payment.currency,
                "",
                "",
                payment.amount,
                payment.exchange_rate,
                payment.amount_base,
                payment.amount_allocated,
            ]
        )
    # Refunds and voids as negative amounts, so the export adds up to what is held.
    refunds = (
        PaymentRefund.objects.for_company(access.company)
        .filter(
            payment__in=payment_list(access),
            refunded_on__gte=start,
            refunded_on__lte=end,
        )
        .select_related("payment", "payment__customer")
        .order_by("refunded_on", "number")
    )
    for refund in refunds:
        payment = refund.payment
        rows.append(
            [
                refund.kind,
                refund.number,
                refund.refunded_on.isoformat(),
                "",
                "",
                payment.customer.code,
                payment.customer.name,
                payment.number,
                refund.method,
                refund.reason,
                refund.currency,
                "",
                "",
                -refund.amount,
                payment.exchange_rate,
                -refund.base_amount,
                "",
            ]
        )
    return rows


def finance_export(
    access: Access, start: datetime.date, end: datetime.date, fmt: str
) -> tuple[str, bytes, str]:
    """``(filename, content, content_type)`` as CSV (UTF-8 with BOM, so spreadsheet programs
    read Chinese names) or XLSX (amounts as numbers with two decimals)."""
    rows = finance_rows(access, start, end)
    name = f"finance-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        return (
            f"{name}.csv",
            spreadsheets.write_csv(EXPORT_HEADER, rows),
            spreadsheets.CSV_CONTENT_TYPE,
        )
    if fmt == "xlsx":
        money = "#,##0.00"
        content = spreadsheets.write_xlsx(
            EXPORT_HEADER,
            rows,
            title="finance",
            number_formats=dict.fromkeys((11, 12, 13, 15, 16), money),  # L M N P Q
        )
        return f"{name}.xlsx", content, spreadsheets.XLSX_CONTENT_TYPE
    raise ValidationFailed(details={"fields": {"format": ["csv | xlsx"]}})


@dataclass
class ShipmentBilling:
    """What a shipment is worth at its order's prices, and how much of it is billed: the
    issued invoice lines that name its lines, less the credit notes of those lines."""

    value: Decimal
    invoiced: Decimal
    credited: Decimal
    currency: str
    invoices: list = field(default_factory=list)

    @property
    def billed(self) -> Decimal:
        return self.invoiced - self.credited

    @property
    def percent(self) -> Decimal | None:
        return round_to(self.billed / self.value * 100, 1) if self.value else None


def shipment_billing(shipment) -> ShipmentBilling:
    """The billing of a shipment (two queries). Its value: each line's quantity at its order
    line's gross unit amount (gross / quantity, so discounts and tax are in), rounded to the
    currency. Billed: what issued, part-paid or paid invoices bill for its lines (drafts are
    not billed yet, cancelled ones never were), less credit notes of those invoice lines.
    Under ``on_order`` invoicing the order's invoice names no shipment, so billed is zero."""
    from ordercrm.fulfilment.models import ShipmentLine

    order = shipment.order
    lines = list(
        ShipmentLine.objects.for_company(shipment.company_id)
        .filter(shipment=shipment)
        .select_related("order_line")
    )
    value = sum(
        (
            line.quantity * line.order_line.gross / line.order_line.quantity
            for line in lines
            if line.order_line.quantity
        ),
        ZERO,
    )
    billed = list(
        InvoiceLine.objects.for_company(shipment.company_id)
        .filter(
            Q(shipment_line__shipment=shipment) | Q(credited_line__shipment_line__shipment=shipment)
        )
        .exclude(invoice__status__in=(InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED))
        .select_related("invoice")
        .only("gross", "invoice__id", "invoice__number", "invoice__kind", "invoice__status")
    )
    invoiced = sum((b.gross for b in billed if b.invoice.kind == InvoiceKind.INVOICE), ZERO)
    credited = sum((b.gross for b in billed if b.invoice.kind != InvoiceKind.INVOICE), ZERO)
    documents = {b.invoice.pk: b.invoice for b in billed}
    return ShipmentBilling(
        value=round_money(value, order.currency),
        invoiced=invoiced,
        credited=credited,
        currency=order.currency,
        invoices=sorted(documents.values(), key=lambda i: i.number or ""),
    )


def invoice_allocations(invoice: Invoice) -> QuerySet:
    """The payments applied to one invoice, oldest first."""
    from ordercrm.billing.models import PaymentAllocation

    return (
        PaymentAllocation.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .select_related("payment")
        .order_by("created_at")
    )


def credit_notes_of(invoice: Invoice) -> QuerySet[Invoice]:
    return Invoice.objects.for_company(invoice.company_id).filter(
        credited_invoice=invoice, kind=InvoiceKind.CREDIT_NOTE
    )


def invoice_actions(access: Access, invoice: Invoice) -> set[str]:
    """What this user can do with the invoice now (``issue``, ``edit``, ``cancel``,
    ``credit``, ``pay``), by the rules the billing services enforce: only a draft is issued
    or has its lines edited; only an
    invoice with nothing paid or credited is cancelled; issued and paid invoices take credit
    notes; open ones take payments."""
    actions = set()
    is_invoice = invoice.kind == InvoiceKind.INVOICE
    if access.can(Perm.INVOICE_EDIT):
        if invoice.status == InvoiceStatus.DRAFT:
            actions.add("issue")
            if is_invoice:
                actions.add("edit")
        if (
            is_invoice
            and invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)
            and not invoice.amount_paid
            and not invoice.amount_credited
        ):
            actions.add("cancel")
        if is_invoice and invoice.status in (*OPEN, InvoiceStatus.PAID):
            actions.add("credit")
    if access.can(Perm.PAYMENT_EDIT) and is_invoice and invoice.status in OPEN:
        actions.add("pay")
    return actions


def payment_get(access: Access, payment_id) -> Payment:
    """A payment of a customer the caller may see (``core.not_found`` otherwise)."""
    payment = payment_list(access).filter(pk=parse_id(payment_id)).first()
    if payment is None:
        raise NotFound(details={"payment_id": str(payment_id)})
    return payment


def payment_detail(access: Access, payment: Payment) -> dict:
    """What the payment page shows: its allocations (with invoice numbers and exchange
    differences, and their total), its refunds, and the customer's open invoices in its
    currency its credit could still be applied to."""
    allocations = list(
        PaymentAllocation.objects.for_company(access.company)
        .filter(payment=payment)
        .select_related("invoice")
        .order_by("created_at")
    )
    refunds = list(
        PaymentRefund.objects.for_company(access.company)
        .filter(payment=payment)
        .order_by("created_at")
    )
    applicable = []
    if payment.unallocated > 0:
        applicable = list(
            invoice_list(access)
            .filter(
                customer_id=payment.customer_id,
                kind=InvoiceKind.INVOICE,
                status__in=OPEN,
                currency=payment.currency,
            )
            .order_by("due_date", "issue_date", "number")[:50]
        )
    return {
        "allocations": allocations,
        "refunds": refunds,
        "applicable": applicable,
        "exchange_total": exchange_total(allocations),
    }


def exchange_total(allocations) -> Decimal:
    """The exchange difference the given allocations realised together (gain +, loss −)."""
    return sum((a.exchange_difference for a in allocations), ZERO)


# ---------------------------------------------------------------- exchange differences


@dataclass
class ExchangeDifferences:
    """Exchange differences realised over a period, in the company currency: ``rows`` are
    the allocations (payment, invoice, customer loaded), gains positive, losses negative."""

    currency: str
    rows: list[PaymentAllocation]
    gain: Decimal
    loss: Decimal

    @property
    def net(self) -> Decimal:
        return self.gain + self.loss


# Realised and unrealised exchange differences are finance's figures (finance, admin).
FINANCE_FIGURES = Perm.INVOICE_EDIT


def _company_day_start(access: Access, day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the company's time zone."""
    zone = zoneinfo.ZoneInfo(access.company.timezone)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def exchange_difference_list(
    access: Access,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    currency: str = "",
    customer_id=None,
    search: str = "",
) -> QuerySet[PaymentAllocation]:
    """The realised exchange differences (gains +, losses −, in the company currency) the
    caller may see, newest first: allocations whose payment's rate differed from the
    invoice's, made on the company days ``date_from``–``date_to`` (both included, either
    open), of payments in ``currency``, of one customer, or matching ``search`` (invoice or
    payment number, customer code or name). Payment, invoice and customer are loaded.

    Finance's figures: ``FINANCE_FIGURES`` (finance, admin) or ``core.permission_denied``;
    the customers are those the caller may see (``payment_list``). ``date_to`` before
    ``date_from`` is ``core.validation_failed``."""
    access.require(FINANCE_FIGURES)
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            _("The end date is before the start date."),
            details={"fields": {"date_to": ["date_to < date_from"]}},
        )
    rows = (
        PaymentAllocation.objects.for_company(access.company)
        .filter(payment__in=payment_list(access, customer_id=customer_id).values("pk"))
        .exclude(exchange_difference=0)
    )
    if date_from:
        rows = rows.filter(created_at__gte=_company_day_start(access, date_from))
    if date_to:
        end = _company_day_start(access, date_to + datetime.timedelta(days=1))
        rows = rows.filter(created_at__lt=end)
    if currency:
        rows = rows.filter(payment__currency=currency.upper())
    if search.strip():
        term = search.strip()
        rows = rows.filter(
            Q(invoice__number__icontains=term)
            | Q(payment__number__icontains=term)
            | Q(invoice__customer__code__iexact=term)
            | Q(invoice__customer__name__icontains=term)
        )
    return rows.select_related("payment", "invoice", "invoice__customer").order_by(
        "-created_at", "-id"
    )


@dataclass(frozen=True)
class ExchangeTotals:
    """Gains, losses and their net over a list of exchange differences, company currency."""

    currency: str
    count: int
    gain: Decimal
    loss: Decimal

    @property
    def net(self) -> Decimal:
        return self.gain + self.loss


def exchange_difference_totals(access: Access, rows: QuerySet) -> ExchangeTotals:
    """The totals of ``rows`` (an ``exchange_difference_list``) in one aggregate query."""
    from django.db.models import Count, Sum

    found = rows.order_by().aggregate(
        count=Count("pk"),
        gain=Sum("exchange_difference", filter=Q(exchange_difference__gt=0)),
        loss=Sum("exchange_difference", filter=Q(exchange_difference__lt=0)),
    )
    base = access.company.base_currency
    return ExchangeTotals(
        currency=base,
        count=found["count"],
        gain=round_money(Decimal(found["gain"] or 0), base),
        loss=round_money(Decimal(found["loss"] or 0), base),
    )


def exchange_differences(
    access: Access,
    first: datetime.date,
    last: datetime.date,
    *,
    customer_id=None,
) -> ExchangeDifferences:
    """The exchange differences realised from ``first`` to ``last`` (the company's dates,
    both included), oldest first: ``exchange_difference_list`` of those days, of the
    customers the caller may see or of one. An allocation a credit note took back in part
    counts what is left of it; one taken back whole no longer counts. Refused: ``last``
    before ``first`` (``core.validation_failed``), a caller without ``FINANCE_FIGURES``."""
    if first > last:
        raise ValidationFailed(details={"fields": {"last": ["last < first"]}})
    rows = list(
        exchange_difference_list(
            access, date_from=first, date_to=last, customer_id=customer_id
        ).order_by("created_at", "id")
    )
    base = access.company.base_currency
    return ExchangeDifferences(
        currency=base,
        rows=rows,
        gain=round_money(
            sum((r.exchange_difference for r in rows if r.exchange_difference > 0), ZERO), base
        ),
        loss=round_money(
            sum((r.exchange_difference for r in rows if r.exchange_difference < 0), ZERO), base
        ),
    )
