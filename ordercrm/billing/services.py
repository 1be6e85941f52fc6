"""Write use cases of billing: invoices (automatic by policy or manual), credit notes,
payments and their allocation, and the balances they maintain.

Rules:
- Invoiceable quantity of an order line (``sales.selectors.line_invoiceable``): shipped
  (``on_shipment``) or ordered − short-closed (``on_order``, ``manual``). "What is left"
  (automatic invoices, a manual invoice of everything, the order page's button) is
  invoiceable − invoiced (``sales.selectors.line_to_invoice``), so a credited quantity is
  never billed again by itself; only a quantity named line by line may re-bill it, up to
  invoiceable − (invoiced − credited). A shipment is invoiced at most once (a DB constraint).
- Amounts of a partial invoice line are the order line's net and tax in proportion to the
  quantity; the invoice that completes a line takes exactly what is left, so a fully
  invoiced line always adds up to the order line to the cent. Credit notes do the same
  against the invoice line they credit.
- Payments are allocated to invoices of the same currency, never beyond an invoice's open
  amount; what is not allocated is customer credit (an advance when it names an order,
  applied to that order's next invoice when it is issued).
- Company-currency amounts (``billing.exchange``): an invoice at its rate, a payment at its
  own; each allocation is worth ``base_amount`` of the payment and settles
  ``invoice_base_amount`` of the invoice, their gap the exchange difference realised then.
  The part using up the last of a document takes what is left in base, so a settled invoice
  and a used-up payment have nothing left over in base, to the cent.
- Every change refreshes, in the same transaction, the invoice status, the order's
  ``amount_invoiced``/``amount_paid`` and the customer's receivable balances, which the
  credit check reads. Locks are taken in the order ``sales.locks`` documents (orders, the
  invoice acted on, the customer, payments and the invoices they are allocated to); the
  counters and amounts of the order are written through ``sales.counters``.
- Automatic invoicing runs from the sales hooks (``sales.hooks``; registered in
  ``billing.apps``): ``invoice_for_order`` when an order is confirmed, ``invoice_for_shipment``
  when a shipment is dispatched; the hook runs the order's completion check after them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.billing.exceptions import (
    DuplicatePaymentReference,
    InvoiceEmpty,
    InvoiceStale,
    InvoiceState,
    NothingToInvoice,
    NotInvoiceable,
    OverAllocation,
    OverCredit,
    OverInvoicing,
    OverRefund,
    PaymentInUse,
    PaymentVoided,
)
from ordercrm.billing.exchange import pro_rata, split_base, taken_base, to_base
from ordercrm.billing.models import (
    INSTALMENT_OPEN,
    OPEN_BASE,
    OPEN_INVOICE_STATUSES,
    UNALLOCATED,
    UNALLOCATED_BASE,
    Invoice,
    InvoiceInstalment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentRefund,
    RefundKind,
)
from ordercrm.core import audit, events
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.money import ZERO, plain, round_money
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import RowErrors, bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.customers import selectors as customer_selectors
from ordercrm.customers.models import Customer, PaymentTerm
from ordercrm.fulfilment.models import Shipment, ShipmentLine
from ordercrm.sales import counters, locks, workflow
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.sales.exceptions import CancelHasInvoices, OrderOnHold
from ordercrm.sales.models import InvoicingPolicy, LineKind, SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status

# Not on hold: a held order is neither invoiced nor dispatched (``sales.order_on_hold``).
INVOICEABLE_STATUSES = workflow.INVOICEABLE  # one set, named in sales.workflow
OPEN_STATUSES = OPEN_INVOICE_STATUSES


def _refuse_on_hold(order: SalesOrder) -> None:
    """Every invoicing path (manual, issue, automatic) stops at a hold."""
    if order.status == Status.ON_HOLD:
        raise OrderOnHold(
            params={"reason": order.hold_reason}, details={"hold_reason": order.hold_reason}
        )


# ---------------------------------------------------------------- balances


def _settle_status(invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        return
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        invoice.status = InvoiceStatus.ISSUED
    elif invoice.open_amount <= 0:
        invoice.status = InvoiceStatus.PAID
    elif invoice.amount_paid > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


def refresh_order(order: SalesOrder, *, complete: bool = True) -> None:
    """``amount_invoiced`` (issued invoices − credit notes) and ``amount_paid`` (allocations to
    its invoices + its unallocated advances), in the order currency; then, unless a sales hook
    runs it after its handlers (``complete=False``), the completion check."""
    invoices = Invoice.objects.for_company(order.company_id).filter(
        order=order, status__in=(*OPEN_STATUSES, InvoiceStatus.PAID)
    )
    totals = invoices.aggregate(
        billed=Sum("gross_total", filter=Q(kind=InvoiceKind.INVOICE)),
        credited=Sum("gross_total", filter=Q(kind=InvoiceKind.CREDIT_NOTE)),
    )
    billed, credited = totals["billed"] or ZERO, totals["credited"] or ZERO
    allocated = (
        PaymentAllocation.objects.for_company(order.company_id)
        .filter(invoice__order=order, invoice__kind=InvoiceKind.INVOICE)
        .aggregate(t=Sum("amount"))["t"]
        or ZERO
    )
    advances = (
        Payment.objects.for_company(order.company_id)
        .filter(order=order, currency=order.currency)
        .aggregate(t=Sum(UNALLOCATED))["t"]
        or ZERO
    )
    counters.order_amounts_set(order, invoiced=billed - credited, paid=allocated + advances)
    if complete:
        sales.order_complete_if_done(order=order)


def refresh_customer(customer: Customer) -> None:
    """Receivables in the company currency: unpaid invoices (their open base amounts, at
    their own rates), unallocated credit (at the payments' rates), and the due date of the
    oldest unpaid instalment. Three aggregates; the customer row is locked."""
    company = customer.company
    amount = DecimalField(max_digits=24, decimal_places=2)
    open_invoices = Invoice.objects.for_company(customer.company_id).filter(
        customer=customer, kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES
    )
    receivable = open_invoices.aggregate(t=Sum(ExpressionWrapper(OPEN_BASE, output_field=amount)))[
        "t"
    ]
    credit = (
        Payment.objects.for_company(customer.company_id)
        .filter(customer=customer)
        .aggregate(t=Sum(ExpressionWrapper(UNALLOCATED_BASE, output_field=amount)))["t"]
    )
    # overdue is by instalment: the earliest due date of an instalment still open
    oldest = (
        InvoiceInstalment.objects.for_company(customer.company_id)
        .filter(invoice__in=open_invoices)
        .annotate(still_open=INSTALMENT_OPEN)
        .filter(still_open__gt=0)
        .aggregate(d=Min("due_date"))["d"]
    )
    customer.receivable_balance = round_money(Decimal(receivable or 0), company.base_currency)
    customer.advance_balance = round_money(Decimal(credit or 0), company.base_currency)
    customer.oldest_unpaid_due_date = oldest
    Customer.objects.for_company(customer.company_id).filter(pk=customer.pk).update(
        receivable_balance=customer.receivable_balance,
        advance_balance=customer.advance_balance,
        oldest_unpaid_due_date=oldest,
    )


# ---------------------------------------------------------------- invoices


def _invoiceable(order: SalesOrder, line: SalesOrderLine) -> Decimal:
    return sales_selectors.line_invoiceable(order, line)


def _remaining(order: SalesOrder, line: SalesOrderLine, *, automatic: bool) -> Decimal:
    # "What is left" (automatic, or a manual invoice of everything) is the sales selector's,
    # which the order page offers; only quantities named line by line may re-bill a credit.
    if automatic:
        return sales_selectors.line_to_invoice(order, line)
    return max(_invoiceable(order, line) - (line.qty_invoiced - line.qty_credited), ZERO)


def _tolerance_room(order: SalesOrder, line: SalesOrderLine) -> Decimal:
    """How much beyond its invoiceable quantity a line may be billed by a quantity named for
    it: ``Company.billing_tolerance`` % of the invoiceable quantity (0 by default)."""
    tolerance = order.company.billing_tolerance or ZERO
    return _invoiceable(order, line) * tolerance / 100


def _net_billed(line: SalesOrderLine, billed_qty: dict | None) -> Decimal:
    """What the line bills already and is not credited (``billed_qty`` overrides it for a
    draft being edited, whose own quantity does not count)."""
    if billed_qty is not None and line.pk in billed_qty:
        return billed_qty[line.pk]
    return line.qty_invoiced - line.qty_credited


def _over_invoiced(
    order: SalesOrder, line: SalesOrderLine, quantity: Decimal, billed_qty: dict | None = None
) -> Decimal:
    """The part of ``quantity`` (about to be billed on ``line``) that lies beyond what is
    invoiceable, counting what is billed and not credited already."""
    beyond = _net_billed(line, billed_qty) + quantity - _invoiceable(order, line)
    return min(max(beyond, ZERO), quantity)


def _check_over_invoicing(order: SalesOrder, quantities: dict, *, own: dict | None = None) -> None:
    """Refuse ``billing.over_invoicing`` when a named quantity exceeds what is left to bill
    plus the billing tolerance; ``own`` = quantities the same (draft) invoice bills already
    and gives back. Nothing is written before this check."""
    own = own or {}
    over = []
    for line, quantity in quantities.items():
        left = _remaining(order, line, automatic=False) + own.get(line.pk, ZERO)
        allowed = left + _tolerance_room(order, line)
        if quantity > allowed:
            over.append(
                {
                    "order_line_id": str(line.pk),
                    "invoiceable": plain(left),
                    "allowed": plain(allowed),
                    "quantity": plain(quantity),
                }
            )
    if over:
        tolerance = order.company.billing_tolerance or ZERO
        raise OverInvoicing(
            params={"tolerance": plain(tolerance)},
            details={"lines": over, "tolerance": plain(tolerance)},
        )


def _line_amounts(
    order: SalesOrder,
    line: SalesOrderLine,
    quantity: Decimal,
    billed: dict,
    billed_qty: dict | None = None,
) -> tuple[Decimal, Decimal]:
    """Net and tax of billing ``quantity`` of ``line`` (given what is ``billed`` already):
    in proportion to the quantity; the invoice that completes the line takes exactly what is
    left (so a fully invoiced line adds up to the cent) plus, beyond it, the excess in
    proportion (billing tolerance)."""
    mode = order.company.rounding_mode
    already_net, already_tax = billed[line.pk]
    before = _net_billed(line, billed_qty)
    if before <= line.quantity <= before + quantity:
        excess = before + quantity - line.quantity
        net = line.net - already_net + _share(line.net, excess, line.quantity, order.currency, mode)
        tax = line.tax - already_tax + _share(line.tax, excess, line.quantity, order.currency, mode)
        return net, tax
    net = _share(line.net, quantity, line.quantity, order.currency, mode)
    tax = _share(line.tax, quantity, line.quantity, order.currency, mode)
    return net, tax


def _billed_amounts(order: SalesOrder) -> dict:
    """Per order line: (net, tax) already billed by live invoices minus credit notes."""
    rows = (
        InvoiceLine.objects.for_company(order.company_id)
        .filter(invoice__order=order)
        .exclude(invoice__status=InvoiceStatus.CANCELLED)
        .values("order_line_id", "invoice__kind")
        .annotate(net=Sum("net"), tax=Sum("tax"))
    )
    billed: dict = defaultdict(lambda: [ZERO, ZERO])
    for row in rows:
        sign = 1 if row["invoice__kind"] == InvoiceKind.INVOICE else -1
        billed[row["order_line_id"]][0] += sign * row["net"]
        billed[row["order_line_id"]][1] += sign * row["tax"]
    return billed


def _share(total: Decimal, part: Decimal, whole: Decimal, currency: str, mode: str) -> Decimal:
    if whole == 0:
        return ZERO
    return round_money(total * part / whole, currency, mode)


def _parse_quantities(raw_lines, by_id: dict, id_field: str) -> dict:
    """``[{id_field, "quantity"}]`` → ``{row: quantity}``; errors together; zeros dropped."""
    errors = RowErrors()
    wanted: dict = {}
    for index, raw in enumerate(raw_lines):
        row = errors.row(index, by_id, raw.get(id_field), id_field, _("Unknown line."))
        if row is None:
            continue
        quantity = errors.quantity(index, raw.get("quantity"), (InvoiceLine, "quantity"))
        if quantity:
            wanted[row] = wanted.get(row, ZERO) + quantity
    errors.raise_if_any()
    return wanted


def _create_invoice(
    order: SalesOrder,
    actor,
    quantities: dict,
    *,
    shipment: Shipment | None = None,
    shipment_lines: dict | None = None,
) -> Invoice:
    """A draft invoice for ``{order_line: quantity}``; counters and amounts as in the module
    rules. The order is locked by the caller."""
    company = order.company
    billed = _billed_amounts(order)
    invoice = Invoice(
        company=company,
        order=order,
        customer_id=order.customer_id,
        shipment=shipment,
        currency=order.currency,
        exchange_rate=order.exchange_rate or Decimal(1),
        billing_address=order.billing_address,
    )
    lines = []
    for position, (line, quantity) in enumerate(
        sorted(quantities.items(), key=lambda item: item[0].position), start=1
    ):
        net, tax = _line_amounts(order, line, quantity, billed)
        lines.append(
            InvoiceLine(
                company=company,
                invoice=invoice,
                order_line=line,
                shipment_line=(shipment_lines or {}).get(line.pk),
                position=position,
                description=line.description or (line.product.name if line.product else ""),
                quantity=quantity,
                qty_over_invoiced=_over_invoiced(order, line, quantity),
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_percent=line.tax_percent,
                net=net,
                tax=tax,
                gross=net + tax,
            )
        )
    invoice.net_total = sum((x.net for x in lines), ZERO)
    invoice.tax_total = sum((x.tax for x in lines), ZERO)
    invoice.gross_total = invoice.net_total + invoice.tax_total
    invoice.company_gross_total = _invoice_base_total(order, invoice)
    invoice.save()
    InvoiceLine.objects.bulk_create(lines)
    counters.order_lines_invoice(
        order, {line.pk: q for line, q in quantities.items()}, lines=quantities
    )
    audit.record(
        actor=actor,
        entity=invoice,
        action="create",
        label=f"{order.number} {_('Draft')}",
        changes={"order": order.number, "gross_total": [None, str(invoice.gross_total)]},
    )
    return invoice


def _invoice_base_total(order: SalesOrder, invoice: Invoice) -> Decimal:
    """The invoice's total in the company currency at its rate (the order's); the invoice
    that completes the order's billing (its invoices less credit notes reach the order's
    total) takes what is left of the order's company-currency total, so the order and its
    invoices agree to the cent in both currencies."""
    company = order.company
    own = to_base(
        invoice.gross_total, invoice.exchange_rate, company.base_currency, company.rounding_mode
    )
    if order.company_gross_total is None:
        return own
    others = (
        Invoice.objects.for_company(order.company_id)
        .filter(order=order)
        .exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.CANCELLED)
        .aggregate(
            billed=Sum("gross_total", filter=Q(kind=InvoiceKind.INVOICE)),
            credited=Sum("gross_total", filter=Q(kind=InvoiceKind.CREDIT_NOTE)),
            billed_base=Sum("company_gross_total", filter=Q(kind=InvoiceKind.INVOICE)),
            credited_base=Sum("company_gross_total", filter=Q(kind=InvoiceKind.CREDIT_NOTE)),
        )
    )
    billed = (others["billed"] or ZERO) - (others["credited"] or ZERO) + invoice.gross_total
    if billed != order.gross_total:
        return own
    return order.company_gross_total - (
        (others["billed_base"] or ZERO) - (others["credited_base"] or ZERO)
    )


def _order_terms(order: SalesOrder) -> PaymentTerm | None:
    """The order's payment terms (taken from the customer when it was entered, or chosen on
    the order), else the company's default."""
    return order.payment_terms or (
        PaymentTerm.objects.for_company(order.company_id).filter(is_default=True).first()
    )


def _instalments_create(invoice: Invoice, order: SalesOrder) -> list[InvoiceInstalment]:
    """The instalments of an invoice being issued: the order's terms applied to its total
    (``customers.terms.schedule``: shares to the cent, each with its due date); no terms
    at all is one instalment due on the invoice date."""
    from ordercrm.customers.terms import TermLine, schedule

    term = _order_terms(order)
    rules = term.schedule_lines() if term else [TermLine(percent=Decimal(100))]
    # the words are the invoice's, kept with it: in the customer's document language
    from django.utils import translation

    from ordercrm.core.documents import document_language

    with translation.override(document_language(order.customer.language)):
        described = [line.describe() for line in term.lines.all()] if term else []
    rows = schedule(
        rules,
        invoice.gross_total,
        invoice.currency,
        invoice_date=invoice.issue_date,
        order_date=order.order_date,
    )
    instalments = [
        InvoiceInstalment(
            company_id=invoice.company_id,
            invoice=invoice,
            position=row.position,
            percent=row.percent,
            due_date=row.due_date,
            amount=row.amount,
            description=described[row.source][:200] if described else "",
        )
        for row in rows
    ]
    shares = split_base(invoice.open_base, [x.amount for x in instalments], *_base_of(invoice))
    for instalment, share in zip(instalments, shares, strict=True):
        instalment.open_base = share
    InvoiceInstalment.objects.bulk_create(instalments)
    return instalments


def _instalments_spread(invoice: Invoice) -> None:
    """Spread the invoice's paid and credited amounts over its instalments (earliest paid
    first, the last credited first: ``customers.terms.spread``), and its open base over what
    is then open on each (``billing.exchange.split_base``: to the cent of the invoice's)."""
    from ordercrm.customers.terms import spread

    rows = list(
        InvoiceInstalment.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .order_by("position")
    )
    if not rows:
        return
    parts = spread(
        [x.amount for x in rows], paid=invoice.amount_paid, credited=invoice.amount_credited
    )
    shares = split_base(
        invoice.open_base,
        [x.amount - credited - paid for x, (credited, paid) in zip(rows, parts, strict=True)],
        *_base_of(invoice),
    )
    changed = []
    for row, (credited, paid), share in zip(rows, parts, shares, strict=True):
        if (row.amount_credited, row.amount_paid, row.open_base) != (credited, paid, share):
            row.amount_credited, row.amount_paid, row.open_base = credited, paid, share
            changed.append(row)
    if changed:
        InvoiceInstalment.objects.for_company(invoice.company_id).bulk_update(
            changed, ["amount_credited", "amount_paid", "open_base"]
        )


def _advance_held(order: SalesOrder) -> bool:
    """Terms with a required advance keep the order's advances until its final invoice (the
    one after which nothing is left to invoice), so the advance secures every shipment and
    is deducted from the final invoice."""
    terms = order.payment_terms
    if terms is None or not terms.advance_percent:
        return False
    # the order is locked, and its line counters move only under that lock: a plain read
    lines = SalesOrderLine.objects.for_company(order.company_id).filter(
        order=order, kind=LineKind.PRODUCT
    )
    # "final": nothing of the order is left to bill, whatever has shipped so far
    return any(line.quantity - line.qty_closed - line.qty_invoiced > 0 for line in lines)


def _issue(invoice: Invoice, order: SalesOrder, actor, *, complete: bool = True) -> None:
    """Number, date and due date; apply the order's advances; refresh balances (and, unless
    ``complete`` is False because a sales hook runs it, the completion check)."""
    company = order.company
    invoice.issue_date = company_today(company)
    invoice.number = next_number(company=company, prefix="INV", year=invoice.issue_date.year)
    instalments = _instalments_create(invoice, order)
    invoice.due_date = instalments[-1].due_date  # all of it is due by the last instalment
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_by = actor if getattr(actor, "pk", None) else None
    invoice.version += 1
    invoice.save()
    customer = locks.lock_customer(order.customer_id, company_id=company.pk)
    advances = (
        []
        if _advance_held(order)
        else list(
            Payment.objects.for_company(company)
            .select_for_update()
            .filter(
                order=order,
                currency=invoice.currency,
                amount_allocated__lt=F("amount") - F("amount_refunded"),
            )
            .order_by("received_on", "created_at")
        )
    )
    _allocate(invoice, [(payment, payment.unallocated) for payment in advances], exact=False)
    audit.record(
        actor=actor,
        entity=invoice,
        action="issue",
        changes={"number": [None, invoice.number], "due_date": [None, str(invoice.due_date)]},
    )
    events.emit(
        type="invoice.issued",
        entity=invoice,
        actor=actor,
        payload={
            "number": invoice.number,
            "order_id": str(order.pk),
            "order_number": order.number,
            "gross_total": invoice.gross_total,
            "currency": invoice.currency,
            "due_date": invoice.due_date,
        },
    )
    customer.company = company
    refresh_customer(customer)
    refresh_order(order, complete=complete)


def _allocate(invoice: Invoice, parts: list[tuple[Payment, Decimal]], *, exact: bool) -> Decimal:
    """Allocate payment amounts to one invoice, up to its open amount. With ``exact`` the
    whole of each part must fit (``billing.over_allocation``), else what fits is taken.

    Each allocation records its company-currency amounts (``billing.exchange``): the part of
    the payment's base it takes (``base_amount``, at the payment's rate), the part of the
    invoice's open base it settles (``invoice_base_amount``, at the invoice's rate) and their
    gap, the ``exchange_difference`` (gain positive, loss negative). The allocation that
    settles the invoice takes the rest of its open base, the one that uses up the payment
    the rest of its unallocated base. A payment at the invoice's own rate settles what it
    is worth (no difference), but for the rounding cent of the one settling the invoice."""
    base, mode = _base_of(invoice)
    rows, total = [], ZERO
    for payment, wanted in parts:
        room = min(invoice.open_amount - total, payment.unallocated)
        amount = wanted if exact else min(wanted, room)
        if amount <= 0:
            continue
        if exact and (amount > room or payment.currency != invoice.currency):
            raise OverAllocation(
                details={"invoice_id": str(invoice.pk), "open": plain(invoice.open_amount - total)}
            )
        paid_base = taken_base(
            payment.unallocated_base,
            payment.unallocated - amount,
            payment.exchange_rate,
            base,
            mode,
        )
        open_after = invoice.open_amount - total - amount
        if open_after > 0 and payment.exchange_rate == invoice.exchange_rate:
            # at the invoice's own rate nothing is gained or lost: only the allocation that
            # settles the invoice may leave a rounding cent
            settled_base = paid_base
        else:
            settled_base = taken_base(
                invoice.open_base, open_after, invoice.exchange_rate, base, mode
            )
        payment.amount_allocated += amount
        payment.amount_allocated_base += paid_base
        total += amount
        invoice.amount_paid_base += settled_base
        rows.append(
            PaymentAllocation(
                company_id=invoice.company_id,
                payment=payment,
                invoice=invoice,
                amount=amount,
                base_amount=paid_base,
                invoice_base_amount=settled_base,
                exchange_difference=paid_base - settled_base,
            )
        )
    if rows:
        PaymentAllocation.objects.bulk_create(rows)
        Payment.objects.for_company(invoice.company_id).bulk_update(
            [r.payment for r in rows], ["amount_allocated", "amount_allocated_base"]
        )
        invoice.amount_paid += total
        _settle_status(invoice)
        invoice.save(update_fields=["amount_paid", "amount_paid_base", "status", "updated_at"])
        _instalments_spread(invoice)
    return total


def _base_of(invoice: Invoice) -> tuple[str, str]:
    """The company's currency and rounding mode (read once when the invoice does not hold
    its company yet)."""
    if Invoice._meta.get_field("company").is_cached(invoice):
        return invoice.company.base_currency, invoice.company.rounding_mode
    from ordercrm.core.models import Company

    invoice.company = Company.objects.get(pk=invoice.company_id)
    return invoice.company.base_currency, invoice.company.rounding_mode


@transaction.atomic
def invoice_create(
    *,
    order: SalesOrder,
    actor,
    lines: list[dict[str, Any]] | None = None,
    issue: bool = False,
) -> Invoice:
    """A manual invoice: ``lines`` = ``[{"order_line_id", "quantity"}]`` or ``None`` for all
    that is left to invoice (``sales.selectors.line_to_invoice``: credited quantities are
    not billed again). A quantity named per line may be up to invoiceable − (invoiced −
    credited), to re-bill a credited line on purpose, plus the company's billing tolerance
    (``Company.billing_tolerance`` % of the invoiceable quantity; beyond it
    ``billing.over_invoicing``, nothing written). What a line bills beyond the invoiceable
    is kept on it (``qty_over_invoiced``) and shown on the invoice."""
    access = access_for(actor, order.company)
    access.require(Perm.INVOICE_EDIT)
    locked = locks.lock_order(order, access=access)  # visible to the actor, or not found
    _refuse_on_hold(locked)
    if locked.status not in INVOICEABLE_STATUSES:
        raise NotInvoiceable(params={"status": Status(locked.status).label})
    order_lines = [line for line in locks.lock_order_lines(locked) if line.kind == LineKind.PRODUCT]
    if lines is None:
        quantities = {
            line: _remaining(locked, line, automatic=True)
            for line in order_lines
            if _remaining(locked, line, automatic=True) > 0
        }
    else:
        quantities = _parse_quantities(
            lines, {line.pk: line for line in order_lines}, "order_line_id"
        )
        _check_over_invoicing(locked, quantities)
    if not quantities:
        raise NothingToInvoice()
    invoice = _create_invoice(locked, actor, quantities)
    if issue:
        _issue(invoice, locked, actor)
    return invoice


def _automatic_invoice(order: SalesOrder, actor, quantities: dict, **extra) -> Invoice | None:
    quantities = {line: q for line, q in quantities.items() if q > 0}
    if not quantities:
        return None
    invoice = _create_invoice(order, actor, quantities, **extra)
    _issue(invoice, order, actor, complete=False)  # the sales hook checks completion after
    return invoice


def invoice_for_order(*, order: SalesOrder, actor=None) -> Invoice | None:
    """``on_order``: bill whatever was never billed (credited quantities are not billed
    again). Called inside the confirming transaction (``sales.hooks.after_order_confirmed``);
    repeat calls bill nothing new. Returns the issued invoice, if any."""
    locked = locks.lock_order(order, company_id=order.company_id)
    if locked.invoicing_policy != InvoicingPolicy.ON_ORDER:
        return None
    _refuse_on_hold(locked)
    lines = [line for line in locks.lock_order_lines(locked) if line.kind == LineKind.PRODUCT]
    return _automatic_invoice(
        locked, actor, {line: _remaining(locked, line, automatic=True) for line in lines}
    )


def invoice_for_shipment(*, shipment: Shipment, actor=None) -> Invoice | None:
    """``on_shipment``: one invoice per dispatched shipment, for its quantities (never more
    than shipped − invoiced); a shipment already invoiced gets nothing new. Called inside the
    dispatching transaction (``sales.hooks.after_dispatch``)."""
    locked = locks.lock_order(shipment.order_id, company_id=shipment.company_id)
    if locked.invoicing_policy != InvoicingPolicy.ON_SHIPMENT:
        return None
    _refuse_on_hold(locked)
    if (
        Invoice.objects.for_company(locked.company_id)
        .filter(shipment=shipment, kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.CANCELLED)
        .exists()
    ):
        return None
    by_id = {line.pk: line for line in locks.lock_order_lines(locked)}
    shipment_lines = {
        sl.order_line_id: sl
        for sl in ShipmentLine.objects.for_company(locked.company_id).filter(shipment=shipment)
    }
    quantities = {
        by_id[line_id]: min(sl.quantity, _remaining(locked, by_id[line_id], automatic=True))
        for line_id, sl in shipment_lines.items()
    }
    return _automatic_invoice(
        locked, actor, quantities, shipment=shipment, shipment_lines=shipment_lines
    )


def _lock_invoice(invoice: Invoice, actor, perm: str) -> tuple[Invoice, SalesOrder]:
    from ordercrm.billing.selectors import invoice_get

    access = access_for(actor, invoice.company)
    access.require(perm)
    visible = invoice_get(access, invoice.pk)
    order = locks.lock_order(visible.order_id, company_id=visible.company_id)
    locked = Invoice.objects.for_company(visible.company_id).select_for_update().get(pk=visible.pk)
    return locked, order


@transaction.atomic
def invoice_issue(*, invoice: Invoice, actor) -> Invoice:
    """Issue a draft (number, dates, advances). Issuing an issued invoice does nothing."""
    locked, order = _lock_invoice(invoice, actor, Perm.INVOICE_EDIT)
    if locked.status != InvoiceStatus.DRAFT:
        if locked.status == InvoiceStatus.CANCELLED:
            raise InvoiceState(params={"status": InvoiceStatus(locked.status).label})
        return locked
    _refuse_on_hold(order)
    _issue(locked, order, actor)
    return locked


@transaction.atomic
def invoice_lines_update(
    *, invoice: Invoice, actor, lines: list[dict[str, Any]], version: int | None = None
) -> Invoice:
    """Edit a draft invoice before it is issued: ``lines`` = ``[{"invoice_line_id",
    "quantity"}]``; a lower quantity bills less, 0 removes the line, a higher one bills more
    (within what is left plus the billing tolerance, ``billing.over_invoicing``; not while
    the order is on hold). What is taken off goes back to the order line's invoiceable
    quantity (``qty_invoiced`` falls), so the next invoice offers it again; nothing is lost.

    Refused: an issued or cancelled invoice or a credit note (``billing.invalid_invoice_state``),
    a stale ``version`` (``billing.stale_version``), removing every line
    (``billing.invoice_empty``: cancel the draft instead). Amounts are recomputed by the
    rule of new invoices (the line completing an order line takes what is left), so a fully
    invoiced order still adds up to the cent. Audit ``update_lines``; event
    ``invoice.draft_changed``."""
    locked, order = _lock_invoice(invoice, actor, Perm.INVOICE_EDIT)
    if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.DRAFT:
        raise InvoiceState(params={"status": InvoiceStatus(locked.status).label})
    if version is not None and int(version) != locked.version:
        raise InvoiceStale(details={"version": locked.version})
    rows = {
        x.pk: x
        for x in InvoiceLine.objects.for_company(locked.company_id)
        .filter(invoice=locked)
        .order_by("position")
    }
    errors = RowErrors()
    wanted: dict = {}
    for index, raw in enumerate(lines):
        row = errors.row(
            index, rows, raw.get("invoice_line_id"), "invoice_line_id", _("Unknown line.")
        )
        if row is None:
            continue
        quantity = errors.quantity(index, raw.get("quantity"), (InvoiceLine, "quantity"))
        if quantity is not None:
            wanted[row] = quantity
    errors.raise_if_any()
    changed = {row: q for row, q in wanted.items() if q != row.quantity}
    if not changed:
        return locked
    kept = [row for row in rows.values() if changed.get(row, row.quantity) > 0]
    if not kept:
        raise InvoiceEmpty(details={"invoice_id": str(locked.pk)})
    order_lines = {line.pk: line for line in locks.lock_order_lines(order)}
    raised = {order_lines[row.order_line_id]: q for row, q in changed.items() if q > row.quantity}
    if raised:
        _refuse_on_hold(order)
        _check_over_invoicing(order, raised, own={r.order_line_id: r.quantity for r in changed})
    billed = _billed_amounts(order)
    before_total = locked.gross_total
    history, removed, kept_rows = [], [], []
    give_back: dict = defaultdict(lambda: ZERO)
    take: dict = defaultdict(lambda: ZERO)
    # what each order line bills, as if this draft's changed lines did not bill yet
    billed_qty = {
        row.order_line_id: order_lines[row.order_line_id].qty_invoiced
        - order_lines[row.order_line_id].qty_credited
        - row.quantity
        for row in changed
    }
    for row, quantity in sorted(changed.items(), key=lambda item: item[0].position):
        line = order_lines[row.order_line_id]
        billed[line.pk][0] -= row.net
        billed[line.pk][1] -= row.tax
        history.append(
            {"line": row.description, "quantity": [plain(row.quantity), plain(quantity)]}
        )
        if quantity == 0:
            removed.append(row.pk)
            give_back[line.pk] += row.quantity
            continue
        net, tax = _line_amounts(order, line, quantity, billed, billed_qty)
        row.qty_over_invoiced = _over_invoiced(order, line, quantity, billed_qty)
        billed_qty[line.pk] += quantity
        billed[line.pk][0] += net
        billed[line.pk][1] += tax
        if quantity < row.quantity:
            give_back[line.pk] += row.quantity - quantity
        else:
            take[line.pk] += quantity - row.quantity
        row.quantity, row.net, row.tax, row.gross = quantity, net, tax, net + tax
        kept_rows.append(row)
    if removed:
        InvoiceLine.objects.for_company(locked.company_id).filter(pk__in=removed).delete()
    if kept_rows:
        InvoiceLine.objects.for_company(locked.company_id).bulk_update(
            kept_rows, ["quantity", "qty_over_invoiced", "net", "tax", "gross"]
        )
    if give_back:
        counters.order_lines_uninvoice(order, dict(give_back), lines=order_lines.values())
    if take:
        counters.order_lines_invoice(order, dict(take), lines=order_lines.values())
    remaining = [row for row in rows.values() if row.pk not in removed]
    locked.net_total = sum((x.net for x in remaining), ZERO)
    locked.tax_total = sum((x.tax for x in remaining), ZERO)
    locked.gross_total = locked.net_total + locked.tax_total
    locked.company_gross_total = _invoice_base_total(order, locked)
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="update_lines",
        changes={"lines": history, "gross_total": [str(before_total), str(locked.gross_total)]},
    )
    events.emit(
        type="invoice.draft_changed",
        entity=locked,
        actor=actor,
        payload={
            "order_id": str(order.pk),
            "order_number": order.number,
            "gross_total": locked.gross_total,
            "currency": locked.currency,
            "given_back": {str(k): plain(v) for k, v in give_back.items()},
        },
    )
    return locked


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, actor, reason: str = "") -> Invoice:
    """Cancel a draft or an unpaid, uncredited invoice; its quantities become invoiceable
    again. An issued invoice keeps its number (the sequence has no holes)."""
    locked, order = _lock_invoice(invoice, actor, Perm.INVOICE_EDIT)
    if locked.status == InvoiceStatus.CANCELLED:
        return locked
    if (
        locked.kind != InvoiceKind.INVOICE
        or locked.amount_paid > 0
        or locked.amount_credited > 0
        or locked.status not in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)
    ):
        raise InvoiceState(params={"status": InvoiceStatus(locked.status).label})
    _cancel_invoice(locked, order, actor, reason)
    return locked


def _cancel_invoice(locked: Invoice, order: SalesOrder, actor, reason: str) -> None:
    """Cancel a locked draft or unpaid, uncredited invoice: counters, audit, event, balances."""
    billed: dict = defaultdict(lambda: ZERO)
    for x in InvoiceLine.objects.for_company(locked.company_id).filter(invoice=locked):
        billed[x.order_line_id] += x.quantity
    counters.order_lines_uninvoice(order, billed)
    was = locked.status
    locked.status, locked.reason = InvoiceStatus.CANCELLED, reason.strip()
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="cancel",
        changes={"status": [was, InvoiceStatus.CANCELLED], "reason": [None, locked.reason]},
    )
    events.emit(
        type="invoice.cancelled",
        entity=locked,
        actor=actor,
        payload={"number": locked.number, "order_id": str(order.pk)},
    )
    customer = locks.lock_customer(order.customer_id, company_id=order.company_id)
    customer.company = order.company
    refresh_customer(customer)
    refresh_order(order)


@transaction.atomic
def credit_note_create(
    *, invoice: Invoice, actor, lines: list[dict[str, Any]], reason: str = ""
) -> Invoice:
    """Credit lines of an issued invoice: ``[{"invoice_line_id", "quantity"}]``, each ≤
    invoiced − already credited (a zero quantity credits nothing). Issued at once as
    ``CN-{year}-{seq}``. If the invoice was already paid beyond its new total, the excess
    allocation is released and stays as customer credit."""
    locked, order = _lock_invoice(invoice, actor, Perm.INVOICE_EDIT)
    if locked.kind != InvoiceKind.INVOICE or locked.status not in (
        *OPEN_STATUSES,
        InvoiceStatus.PAID,
    ):
        raise InvoiceState(params={"status": InvoiceStatus(locked.status).label})
    invoice_lines = {
        x.pk: x
        for x in InvoiceLine.objects.for_company(locked.company_id)
        .filter(invoice=locked)
        .select_related("order_line")
    }
    quantities = _parse_quantities(lines, invoice_lines, "invoice_line_id")
    over = [
        {"invoice_line_id": str(x.pk), "creditable": plain(x.quantity - x.qty_credited)}
        for x, q in quantities.items()
        if q > x.quantity - x.qty_credited
    ]
    if over:
        raise OverCredit(details={"lines": over})
    if not quantities:
        raise ValidationFailed(details={"fields": {"lines": [_("Enter a quantity to credit.")]}})
    company = order.company
    note = Invoice(
        company=company,
        kind=InvoiceKind.CREDIT_NOTE,
        order=order,
        customer_id=locked.customer_id,
        credited_invoice=locked,
        currency=locked.currency,
        exchange_rate=locked.exchange_rate,
        billing_address=locked.billing_address,
        reason=reason.strip(),
        issue_date=company_today(company),
        status=InvoiceStatus.ISSUED,
        issued_by=actor,
    )
    note.number = next_number(company=company, prefix="CN", year=note.issue_date.year)
    note.due_date = note.issue_date
    note_lines, order_lines, credited = [], {}, defaultdict(lambda: ZERO)
    for position, (x, quantity) in enumerate(
        sorted(quantities.items(), key=lambda item: item[0].position), start=1
    ):
        if x.qty_credited + quantity == x.quantity:
            net, tax = x.net - x.net_credited, x.tax - x.tax_credited
        else:
            net = _share(x.net, quantity, x.quantity, locked.currency, company.rounding_mode)
            tax = _share(x.tax, quantity, x.quantity, locked.currency, company.rounding_mode)
        x.qty_credited += quantity
        x.net_credited += net
        x.tax_credited += tax
        order_lines.setdefault(x.order_line_id, x.order_line)
        credited[x.order_line_id] += quantity
        note_lines.append(
            InvoiceLine(
                company=company,
                invoice=note,
                order_line_id=x.order_line_id,
                credited_line=x,
                position=position,
                description=x.description,
                quantity=quantity,
                unit_price=x.unit_price,
                discount_percent=x.discount_percent,
                tax_percent=x.tax_percent,
                net=net,
                tax=tax,
                gross=net + tax,
            )
        )
    note.net_total = sum((x.net for x in note_lines), ZERO)
    note.tax_total = sum((x.tax for x in note_lines), ZERO)
    note.gross_total = note.net_total + note.tax_total
    # in base, what it credits of the invoice's uncredited base; a note that settles the
    # invoice (credits exactly what is open) takes what is open in base, so nothing is left
    if locked.open_amount == note.gross_total:
        note.company_gross_total = locked.open_base
    else:
        note.company_gross_total = taken_base(
            locked.company_gross_total - locked.amount_credited_base,
            locked.gross_total - locked.amount_credited - note.gross_total,
            locked.exchange_rate,
            company.base_currency,
            company.rounding_mode,
        )
    note.save()
    InvoiceLine.objects.bulk_create(note_lines)
    InvoiceLine.objects.for_company(company).bulk_update(
        list(quantities), ["qty_credited", "net_credited", "tax_credited"]
    )
    counters.order_lines_credit(order, credited, lines=order_lines.values())
    customer = locks.lock_customer(order.customer_id, company_id=company.pk)
    locked.amount_credited += note.gross_total
    locked.amount_credited_base += note.company_gross_total
    excess = locked.amount_paid - (locked.gross_total - locked.amount_credited)
    if excess > 0:
        _release_allocations(locked, excess)
    _settle_status(locked)
    locked.version += 1
    locked.save()
    _instalments_spread(locked)
    audit.record(
        actor=actor,
        entity=note,
        action="issue",
        changes={"credits": locked.number, "gross_total": [None, str(note.gross_total)]},
    )
    events.emit(
        type="credit_note.issued",
        entity=note,
        actor=actor,
        payload={
            "number": note.number,
            "invoice_number": locked.number,
            "order_id": str(order.pk),
            "gross_total": note.gross_total,
            "currency": note.currency,
        },
    )
    customer.company = company
    refresh_customer(customer)
    refresh_order(order)
    return note


def _release_allocations(invoice: Invoice, amount: Decimal) -> None:
    """Take ``amount`` back from the invoice's allocations, newest first; what is taken back
    is customer credit on its payment again.

    In the company currency each release reverses exactly what it takes back: the whole
    allocation's ``base_amount``, ``invoice_base_amount`` and difference when all of it is
    released, the same share of each when part is. An invoice left settled keeps nothing
    open in base: the cent that shares can leave is settled by the newest allocation still
    standing (the last release), in its invoice-side amount and so its difference."""
    base, mode = _base_of(invoice)
    allocations = list(
        PaymentAllocation.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .select_related("payment")
        .order_by("-created_at", "-id")
    )
    # one object per payment: two allocations of one payment release into the same row
    payments: dict = {}
    for allocation in allocations:
        allocation.payment = payments.setdefault(allocation.payment_id, allocation.payment)
    standing = None
    for allocation in allocations:
        if amount <= 0:
            standing = standing or allocation
            break
        take = min(amount, allocation.amount)
        paid_back = pro_rata(allocation.base_amount, take, allocation.amount, base, mode)
        settled_back = pro_rata(allocation.invoice_base_amount, take, allocation.amount, base, mode)
        allocation.amount -= take
        allocation.base_amount -= paid_back
        allocation.invoice_base_amount -= settled_back
        allocation.exchange_difference = allocation.base_amount - allocation.invoice_base_amount
        payment = allocation.payment
        payment.amount_allocated -= take
        payment.amount_allocated_base -= paid_back
        invoice.amount_paid -= take
        invoice.amount_paid_base -= settled_back
        amount -= take
        if allocation.amount == 0:
            allocation.delete()
        else:
            standing = allocation
            allocation.save(update_fields=[*BASE_FIELDS, "amount", "updated_at"])
        payment.save(update_fields=["amount_allocated", "amount_allocated_base", "updated_at"])
    gap = invoice.amount_paid_base - (invoice.company_gross_total - invoice.amount_credited_base)
    if invoice.open_amount == 0 and gap and standing is not None:
        standing.invoice_base_amount -= gap
        standing.exchange_difference += gap
        invoice.amount_paid_base -= gap
        standing.save(update_fields=[*BASE_FIELDS, "updated_at"])


BASE_FIELDS = ("base_amount", "invoice_base_amount", "exchange_difference")


# ---------------------------------------------------------------- payments


@transaction.atomic
def payment_record(
    *,
    company,
    actor,
    customer,
    amount,
    currency: str,
    method: str,
    received_on: datetime.date | None = None,
    reference: str = "",
    allocations: list[dict[str, Any]] | tuple = (),
    order: SalesOrder | None = None,
    exchange_rate=None,
    notes: str = "",
    auto_allocate: bool = False,
) -> Payment:
    """Record money received. ``allocations`` = ``[{"invoice_id" | "invoice", "amount"}]``
    (same currency, within each invoice's open amount, in total within the payment). With
    ``order`` and no allocations it is an advance: applied to the order's open invoices now,
    else to its next invoice. With ``auto_allocate`` (and neither) it pays the customer's
    open invoices in that currency, the oldest due first. Whatever is left stays as customer
    credit. The same reference twice for one customer is refused
    (``billing.duplicate_payment_reference``)."""
    access = access_for(actor, company)
    access.require(Perm.PAYMENT_EDIT)
    customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    errors: dict[str, list[str]] = {}
    try:
        amount = bounded_decimal(amount, Payment, "amount")
        if amount <= 0:
            errors["amount"] = [_("Enter an amount greater than zero.")]
        elif amount != round_money(amount, currency or company.base_currency):
            errors["amount"] = [_("Too many decimal places for this currency.")]
    except (TypeError, ValueError) as error:
        errors["amount"] = [invalid_reason(error)]
    currency = (currency or "").upper()
    if len(currency) != 3:
        errors["currency"] = [_("Enter a currency code such as CNY.")]
    if method not in PaymentMethod.values:
        errors["method"] = [_("Unknown payment method.")]
    if currency == company.base_currency:
        rate = Decimal(1)
    elif exchange_rate not in (None, ""):
        try:
            rate = bounded_decimal(exchange_rate, Payment, "exchange_rate")
        except ValueError as error:
            rate = None
            errors["exchange_rate"] = [invalid_reason(error)]
        else:
            if rate <= 0:
                errors["exchange_rate"] = [_("Must be greater than zero.")]
    elif order is not None and order.exchange_rate and order.currency == currency:
        rate = order.exchange_rate
    else:
        rate = None
        errors["exchange_rate"] = [_("Enter the exchange rate for this currency.")]
    if order is not None and order.customer_id != customer.pk:
        errors["order"] = [_("The order belongs to another customer.")]
    reference = (reference or "").strip()
    if (
        reference
        and Payment.objects.for_company(company)
        .filter(customer=customer, reference=reference)
        .exists()
    ):
        raise DuplicatePaymentReference(details={"reference": reference})
    if errors:
        raise ValidationFailed(details={"fields": errors})
    # Locks (``sales.locks``): orders, customer, invoices.
    wanted = []
    for index, raw in enumerate(allocations):
        invoice = raw.get("invoice")
        try:
            invoice_id = (
                invoice.pk if isinstance(invoice, Invoice) else parse_id(raw.get("invoice_id"))
            )
            allocation_amount = bounded_decimal(raw.get("amount"), PaymentAllocation, "amount")
        except (NotFound, TypeError, ValueError):
            raise ValidationFailed(
                details={"allocations": {str(index): [_("Enter an invoice and an amount.")]}}
            ) from None
        wanted.append((invoice_id, allocation_amount))
    automatic: list = []
    if auto_allocate and not wanted and order is None:
        automatic = list(
            Invoice.objects.for_company(company)
            .filter(
                customer=customer,
                kind=InvoiceKind.INVOICE,
                status__in=OPEN_STATUSES,
                currency=currency,
            )
            .values_list("pk", flat=True)
        )
    invoice_rows = {
        i.pk: i
        for i in Invoice.objects.for_company(company).filter(
            pk__in=[w[0] for w in wanted] + automatic,
            customer=customer,
            kind=InvoiceKind.INVOICE,
        )
    }
    if len(invoice_rows) != len({w[0] for w in wanted} | set(automatic)):
        raise ValidationFailed(details={"allocations": [_("Unknown invoice for this customer.")]})
    orders = locks.lock_orders(
        {i.order_id for i in invoice_rows.values()} | ({order.pk} if order else set()),
        company_id=company.pk,
    )
    if order is not None and any(o.pk == order.pk and o.status == Status.CANCELLED for o in orders):
        # an advance on a cancelled order would be stuck there: it is customer credit
        raise ValidationFailed(
            details={
                "fields": {
                    "order": [_("The order is cancelled; record the payment as customer credit.")]
                }
            }
        )
    locked_customer = locks.lock_customer(customer.pk, company_id=company.pk)
    locked_invoices = {
        i.pk: i
        for i in Invoice.objects.for_company(company)
        .select_for_update()
        .filter(pk__in=list(invoice_rows))
        .order_by("pk")
    }
    total = sum((a for _i, a in wanted), ZERO)
    if total > amount or any(a <= 0 for _i, a in wanted):
        raise OverAllocation(details={"allocated": plain(total), "amount": plain(amount)})
    for invoice_id, _amount in wanted:
        if locked_invoices[invoice_id].status not in OPEN_STATUSES:
            status = InvoiceStatus(locked_invoices[invoice_id].status).label
            raise InvoiceState(params={"status": status})
    payment = Payment(
        company=company,
        customer=locked_customer,
        order=order,
        method=method,
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        amount_base=to_base(amount, rate, company.base_currency, company.rounding_mode),
        received_on=received_on or company_today(company),
        reference=reference,
        notes=notes,
        recorded_by=actor,
    )
    payment.number = next_number(company=company, prefix="PAY", year=payment.received_on.year)
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:  # a concurrent twin with the same reference won
        raise DuplicatePaymentReference(details={"reference": reference}) from None
    for invoice_id, allocation_amount in wanted:
        _allocate(locked_invoices[invoice_id], [(payment, allocation_amount)], exact=True)
    if (
        order is not None
        and not wanted
        and not _advance_held(next(o for o in orders if o.pk == order.pk))
    ):
        open_invoices = (
            Invoice.objects.for_company(company)
            .select_for_update()
            .filter(
                order=order, kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES, currency=currency
            )
            .order_by("issue_date", "created_at")
        )
        for invoice in open_invoices:
            if payment.unallocated <= 0:
                break
            _allocate(invoice, [(payment, payment.unallocated)], exact=False)
    oldest_due_first = sorted(
        (locked_invoices[pk] for pk in automatic),
        key=lambda i: (i.due_date or i.issue_date, i.issue_date, i.number),
    )
    for invoice in oldest_due_first:
        if payment.unallocated <= 0:
            break
        if invoice.status in OPEN_STATUSES:  # a concurrent payment may have settled it
            _allocate(invoice, [(payment, payment.unallocated)], exact=False)
    audit.record(
        actor=actor,
        entity=payment,
        action="create",
        changes={
            "amount": [None, str(amount)],
            "currency": [None, currency],
            "method": [None, method],
            "allocations": [
                {"invoice": locked_invoices[i].number, "amount": str(a)} for i, a in wanted
            ],
        },
    )
    events.emit(
        type="payment.received",
        entity=payment,
        actor=actor,
        payload={
            "number": payment.number,
            "customer_id": str(customer.pk),
            "amount": amount,
            "currency": currency,
            "method": method,
            "order_ids": [str(o.pk) for o in orders],
        },
    )
    locked_customer.company = company
    refresh_customer(locked_customer)
    for locked_order in orders:
        refresh_order(locked_order)
    return payment


@transaction.atomic
def payment_allocate(*, payment: Payment, actor, allocations: list[dict[str, Any]]) -> Payment:
    """Allocate a payment's remaining credit to open invoices of the same customer."""
    access = access_for(actor, payment.company)
    access.require(Perm.PAYMENT_EDIT)
    company = payment.company
    wanted = []
    for index, raw in enumerate(allocations):
        invoice = raw.get("invoice")
        try:
            invoice_id = (
                invoice.pk if isinstance(invoice, Invoice) else parse_id(raw.get("invoice_id"))
            )
        except (NotFound, TypeError, ValueError):
            raise ValidationFailed(
                details={"allocations": {str(index): [_("Enter an invoice and an amount.")]}}
            ) from None
        try:
            amount = bounded_decimal(raw.get("amount"), PaymentAllocation, "amount")
        except ValueError as error:
            raise ValidationFailed(
                details={"fields": {"amount": [invalid_reason(error)]}}
            ) from None
        if amount <= 0:
            raise ValidationFailed(
                details={"fields": {"amount": [_("Enter an amount greater than zero.")]}}
            )
        wanted.append((invoice_id, amount))
    invoices = {
        i.pk: i
        for i in Invoice.objects.for_company(company).filter(
            pk__in=[w[0] for w in wanted], customer_id=payment.customer_id, kind=InvoiceKind.INVOICE
        )
    }
    if len(invoices) != len({w[0] for w in wanted}):
        raise ValidationFailed(details={"allocations": [_("Unknown invoice for this customer.")]})
    orders = locks.lock_orders(
        {i.order_id for i in invoices.values()} | ({payment.order_id} - {None}),
        company_id=company.pk,
    )
    customer = locks.lock_customer(payment.customer_id, company_id=company.pk)
    locked = Payment.objects.for_company(company).select_for_update().get(pk=payment.pk)
    locked_invoices = {
        i.pk: i
        for i in Invoice.objects.for_company(company)
        .select_for_update()
        .filter(pk__in=list(invoices))
        .order_by("pk")
    }
    if sum((a for _i, a in wanted), ZERO) > locked.unallocated:
        raise OverAllocation(details={"unallocated": plain(locked.unallocated)})
    for invoice_id, amount in wanted:
        invoice = locked_invoices[invoice_id]
        if invoice.status not in OPEN_STATUSES:
            raise InvoiceState(params={"status": InvoiceStatus(invoice.status).label})
        _allocate(invoice, [(locked, amount)], exact=True)
    audit.record(
        actor=actor,
        entity=locked,
        action="allocate",
        changes={
            "allocations": [
                {"invoice": locked_invoices[i].number, "amount": str(a)} for i, a in wanted
            ]
        },
    )
    # the collections of the invoices' orders move (sales facts, the collected basis)
    events.emit(
        type="payment.allocated",
        entity=locked,
        actor=actor,
        payload={
            "number": locked.number,
            "customer_id": str(locked.customer_id),
            "currency": locked.currency,
            "allocations": [
                {
                    "invoice_id": str(i),
                    "invoice_number": locked_invoices[i].number,
                    "amount": a,
                }
                for i, a in wanted
            ],
            "order_ids": sorted({str(locked_invoices[i].order_id) for i, _a in wanted}),
            "unallocated": locked.unallocated,
        },
    )
    customer.company = company
    refresh_customer(customer)
    for order in orders:
        refresh_order(order)
    return locked


# ---------------------------------------------------------------- cancelled orders


def _uncredited(order: SalesOrder) -> list[Invoice]:
    """Issued invoices of the order that still bill something (not fully credited)."""
    return list(
        Invoice.objects.for_company(order.company_id)
        .select_for_update()
        .filter(
            order=order,
            kind=InvoiceKind.INVOICE,
            status__in=(*OPEN_STATUSES, InvoiceStatus.PAID),
            gross_total__gt=F("amount_credited"),
        )
        .order_by("pk")
    )


def order_cancel_settle(*, order: SalesOrder, actor, credit_invoices: bool = False) -> dict:
    """Settle the money of an order being cancelled, inside the cancel's transaction (the
    order is locked and already ``cancelled``; ``sales.hooks.after_order_cancelled``).

    - Issued invoices not fully credited: refused with ``sales.cancel_has_invoices`` (their
      numbers and amounts in ``details``), so nobody owes for a cancelled order by accident —
      unless ``credit_invoices``: then each is credited in full by a credit note (needs
      ``invoice_edit``), which also releases what was paid on it back to customer credit.
    - Draft invoices are cancelled (no number, no money: nothing to decide).
    - Payments naming the order (advances) stop naming it: what is unallocated becomes the
      customer's credit, visible in receivables, re-applicable and refundable.
    Returns ``{"credit_notes": [...], "cancelled_drafts": [...], "released_advances": [...]}``.
    """
    company = order.company
    issued = _uncredited(order)
    if issued and not credit_invoices:
        raise CancelHasInvoices(
            params={"numbers": ", ".join(i.number for i in issued)},
            details={
                "invoices": [
                    {
                        "id": str(i.pk),
                        "number": i.number,
                        "gross_total": plain(i.gross_total),
                        "amount_credited": plain(i.amount_credited),
                        "amount_paid": plain(i.amount_paid),
                    }
                    for i in issued
                ]
            },
        )
    notes = []
    for invoice in issued:
        lines = InvoiceLine.objects.for_company(company).filter(
            invoice=invoice, quantity__gt=F("qty_credited")
        )
        notes.append(
            credit_note_create(
                invoice=invoice,
                actor=actor,
                lines=[
                    {"invoice_line_id": str(x.pk), "quantity": x.quantity - x.qty_credited}
                    for x in lines
                ],
                reason=_("Order %(number)s cancelled.") % {"number": order.number},
            )
        )
    drafts = list(
        Invoice.objects.for_company(company)
        .select_for_update()
        .filter(order=order, status=InvoiceStatus.DRAFT)
        .order_by("pk")
    )
    for draft in drafts:
        _cancel_invoice(draft, order, actor, _("Order cancelled."))
    customer = locks.lock_customer(order.customer_id, company_id=company.pk)
    advances = list(
        Payment.objects.for_company(company).select_for_update().filter(order=order).order_by("pk")
    )
    for payment in advances:
        payment.order = None
        payment.save(update_fields=["order", "updated_at"])
        audit.record(
            actor=actor,
            entity=payment,
            action="release_advance",
            changes={"order": [order.number, None], "unallocated": str(payment.unallocated)},
        )
        events.emit(
            type="payment.advance_released",
            entity=payment,
            actor=actor,
            payload={
                "number": payment.number,
                "customer_id": str(payment.customer_id),
                "order_id": str(order.pk),
                "order_number": order.number,
                "unallocated": payment.unallocated,
                "currency": payment.currency,
            },
        )
    customer.company = company
    refresh_customer(customer)
    refresh_order(order)
    return {
        "credit_notes": notes,
        "cancelled_drafts": drafts,
        "released_advances": advances,
    }


# ---------------------------------------------------------------- refunds and voids


def _lock_payment(payment: Payment, actor) -> tuple[Payment, Customer, SalesOrder | None]:
    """Finance only (``payment_edit``), on a payment of a customer the actor may see; locks
    its order, its customer and the payment (in the order of ``sales.locks``)."""
    from ordercrm.billing.selectors import payment_list

    access = access_for(actor, payment.company)
    access.require(Perm.PAYMENT_EDIT)
    visible = payment_list(access).filter(pk=payment.pk).first()
    if visible is None:
        raise NotFound(details={"payment_id": str(payment.pk)})
    order = (
        locks.lock_order(visible.order_id, company_id=visible.company_id)
        if visible.order_id
        else None
    )
    customer = locks.lock_customer(visible.customer_id, company_id=visible.company_id)
    locked = Payment.objects.for_company(visible.company_id).select_for_update().get(pk=visible.pk)
    return locked, customer, order


def _write_off(
    locked: Payment, customer: Customer, order, actor, *, kind, amount, reason, method=""
) -> PaymentRefund:
    company = customer.company = locked.company
    today = company_today(company)
    # in base, what it takes of the unallocated credit (all that is left when it is the last)
    base_amount = taken_base(
        locked.unallocated_base,
        locked.unallocated - amount,
        locked.exchange_rate,
        company.base_currency,
        company.rounding_mode,
    )
    refund = PaymentRefund.objects.create(
        company=company,
        number=next_number(company=company, prefix="RF", year=today.year),
        payment=locked,
        kind=kind,
        amount=amount,
        currency=locked.currency,
        refunded_on=today,
        method=method,
        reason=reason,
        refunded_by=actor if getattr(actor, "pk", None) else None,
        base_amount=base_amount,
    )
    before = str(locked.amount_refunded)
    locked.amount_refunded += amount
    locked.amount_refunded_base += base_amount
    fields = ["amount_refunded", "amount_refunded_base", "updated_at"]
    if kind == RefundKind.VOID:
        locked.voided_at = timezone.now()
        fields.append("voided_at")
    locked.save(update_fields=fields)
    audit.record(
        actor=actor,
        entity=locked,
        action=kind,
        changes={
            "amount_refunded": [before, str(locked.amount_refunded)],
            "refund": refund.number,
            "reason": [None, reason],
        },
    )
    events.emit(
        type=f"payment.{'refunded' if kind == RefundKind.REFUND else 'voided'}",
        entity=locked,
        actor=actor,
        payload={
            "number": locked.number,
            "refund_number": refund.number,
            "customer_id": str(locked.customer_id),
            "amount": amount,
            "currency": locked.currency,
            "reason": reason,
        },
    )
    refresh_customer(customer)
    if order is not None:
        refresh_order(order)
    return refund


@transaction.atomic
def payment_refund(
    *, payment: Payment, amount, reason: str, actor, method: str = ""
) -> PaymentRefund:
    """Pay back part or all of a payment's unallocated credit (finance, ``payment_edit``).

    The amount is > 0, in the payment's currency precision and at most what is neither
    allocated nor refunded (``billing.over_refund``); money applied to invoices is freed
    first by a credit note. A void payment refunds nothing (``billing.payment_voided``).
    A reason is required. Writes an ``RF-`` refund, the audit entry and ``payment.refunded``.
    """
    locked, customer, order = _lock_payment(payment, actor)
    errors: dict[str, list[str]] = {}
    try:
        amount = bounded_decimal(amount, PaymentRefund, "amount")
        if amount <= 0:
            errors["amount"] = [_("Enter an amount greater than zero.")]
        # beyond the credit it is refused below, before rounding could overflow
        elif amount <= locked.unallocated and amount != round_money(amount, locked.currency):
            errors["amount"] = [_("Too many decimal places for this currency.")]
    except ValueError as error:
        errors["amount"] = [invalid_reason(error)]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Please give a reason.")]
    if method and method not in PaymentMethod.values:
        errors["method"] = [_("Unknown payment method.")]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    if locked.voided_at is not None:
        raise PaymentVoided(details={"payment_id": str(locked.pk)})
    if amount > locked.unallocated:
        raise OverRefund(
            params={"unallocated": str(round_money(locked.unallocated, locked.currency))},
            details={"unallocated": plain(locked.unallocated), "amount": plain(amount)},
        )
    return _write_off(
        locked,
        customer,
        order,
        actor,
        kind=RefundKind.REFUND,
        amount=amount,
        reason=reason,
        method=method,
    )


@transaction.atomic
def payment_void(*, payment: Payment, reason: str, actor) -> PaymentRefund:
    """Void a payment recorded in error (finance, ``payment_edit``): only while nothing of it
    is allocated or refunded (``billing.payment_in_use``); its whole amount is written off
    (a ``void`` refund row), so it no longer counts as customer credit. Voiding twice does
    nothing more (the first void is returned). A reason is required."""
    locked, customer, order = _lock_payment(payment, actor)
    if locked.voided_at is not None:
        return PaymentRefund.objects.for_company(locked.company_id).get(
            payment=locked, kind=RefundKind.VOID
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"fields": {"reason": [_("Please give a reason.")]}})
    if locked.amount_allocated > 0 or locked.amount_refunded > 0:
        raise PaymentInUse(
            details={
                "amount_allocated": plain(locked.amount_allocated),
                "amount_refunded": plain(locked.amount_refunded),
            }
        )
    return _write_off(
        locked, customer, order, actor, kind=RefundKind.VOID, amount=locked.amount, reason=reason
    )
