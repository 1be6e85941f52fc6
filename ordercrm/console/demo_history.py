"""Eighteen months of demo history, built through the services on a moved clock.

The services stamp "now" (order date, issue date, numbers with the year, ledger and audit
times). Rather than writing dates into rows afterwards, :class:`DemoClock` moves Django's
clock (``django.utils.timezone.now`` and the model fields whose default is it) to the moment
each step happened, so every document, number, ledger move, audit entry and event carries
the same, consistent date: order → approval → shipment → invoice → payment. Only the demo
loader does this; it is fixture data, built once."""

from __future__ import annotations

import contextlib
import datetime
import random
import zoneinfo
from decimal import Decimal

from django.apps import apps
from django.utils import timezone as dj_timezone

from ordercrm.core.exceptions import DomainError

HISTORY_MONTHS = 18
# Kept small enough that `ordercrm demo` loads within a minute on SQLite.
HISTORY_CUSTOMERS = 10
# How much more often customers order in a month (1 = their usual rhythm): stocking up
# before Chinese New Year (late January / February), quiet during it, and a Q4 peak.
SEASON = {
    1: 1.6,
    2: 0.5,
    3: 1.0,
    4: 1.0,
    5: 1.0,
    6: 0.9,
    7: 0.8,
    8: 0.8,
    9: 1.1,
    10: 1.3,
    11: 1.5,
    12: 1.4,
}
CARRIERS = ["顺丰速运 SF Express", "中通快递 ZTO", "德邦物流 Deppon"]
METHODS = ["bank_transfer", "alipay", "wechat_pay", "cheque"]
REJECT_REASONS = [
    "折扣超出授权范围 Discount beyond what we can give",
    "客户信用额度不足 Customer is over the credit limit",
]
CHANGE_REQUESTS = ["请按阶梯价重新报价 Please requote at the tier price"]


class DemoClock:
    """Django's clock held at :attr:`now` while the context is open (see the module doc)."""

    def __init__(self, moment: datetime.datetime):
        self.now = moment
        self._original = dj_timezone.now
        self._fields = [
            field
            for model in apps.get_models()
            for field in model._meta.concrete_fields
            if field.default is self._original
        ]

    def _set_defaults(self, value) -> None:
        for field in self._fields:
            field.default = value
            field.__dict__.pop("_get_default", None)  # Django caches the default callable

    def __enter__(self) -> DemoClock:
        dj_timezone.now = lambda: self.now
        self._set_defaults(dj_timezone.now)
        return self

    def __exit__(self, *exc) -> None:
        dj_timezone.now = self._original
        self._set_defaults(self._original)


def south_warehouse(company, users: dict):
    """The demo's second warehouse (Guangzhou), made once: the history ships from it before
    today's stock is counted into it."""
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse

    found = Warehouse.objects.for_company(company).filter(code="gz").first()
    return found or inventory.warehouse_create(
        company=company,
        actor=users["admin"],
        code="gz",
        name="广州仓 Guangzhou",
        address="广州市黄埔区开发大道 200 号",
        sequence=20,
    )


def build_history(company, users: dict, customers: list, products: list, rng: random.Random):
    """Orders of the last 18 months for ten customers, each with its own rhythm (an interval
    of 4–9 weeks and a usual basket), two who stopped ordering, seasonality, approvals
    decided and a few left waiting, partial and complete shipments, invoices paid, part
    paid and overdue in every aging bucket, credit notes and advances."""
    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice
    from ordercrm.fulfilment import services as fulfilment
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse
    from ordercrm.sales import selectors as sales_selectors
    from ordercrm.sales import services as sales

    zone = zoneinfo.ZoneInfo(company.timezone)
    real_now = dj_timezone.now()
    today = real_now.astimezone(zone).date()
    start = today - datetime.timedelta(days=HISTORY_MONTHS * 30 + 10)

    def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
        at = datetime.datetime.combine(day, datetime.time(hour, rng.randint(0, 59)), zone)
        return min(at, real_now - datetime.timedelta(minutes=5))

    stocked = [p for index, p in enumerate(products) if index % 9 != 4]
    main = Warehouse.objects.for_company(company).get(code="main")
    south = south_warehouse(company, users)
    plans = []
    for index, customer in enumerate(customers[:HISTORY_CUSTOMERS]):
        interval = rng.randint(28, 63)
        basket = rng.sample(stocked, rng.randint(2, 4))
        # Few of the expensive items, many of the cheap ones.
        quantities = {
            p.pk: rng.randint(1, 6) if p.list_price > 100 else rng.choice([20, 50, 100, 200, 500])
            for p in basket
        }
        # Two customers stopped ordering four and seven months ago.
        stop = today - datetime.timedelta(days={3: 120, 7: 210}.get(index, 0))
        day = start + datetime.timedelta(days=rng.randint(0, interval))
        while day < stop - datetime.timedelta(days=1):
            plans.append((day, index, customer, basket, quantities))
            step = interval / SEASON[day.month] * rng.uniform(0.8, 1.2)
            day += datetime.timedelta(days=int(min(max(step, 7), 60)))
    # Every month has orders, whatever the rhythms gave: a regular fills an empty one.
    months = {(plan[0].year, plan[0].month) for plan in plans}
    day = start
    while day < today:
        if (day.year, day.month) not in months:
            months.add((day.year, day.month))
            # never before the opening stock arrives (the first month starts mid-month)
            plans.append((max(day.replace(day=12), start), 0, customers[0], *plans[0][3:]))
        day += datetime.timedelta(days=28)
    unpaid_buckets: set[int] = set()
    plans.sort(key=lambda plan: (plan[0], plan[1]))

    with DemoClock(moment(start - datetime.timedelta(days=5))) as clock:
        inventory.stock_receive(
            company=company,
            actor=users["warehouse"],
            warehouse=main,
            reference="PO-DEMO-000",
            lines=[{"product": p, "quantity": 20000} for p in stocked],
        )
        # The southern customers are served from Guangzhou, so both warehouses have a past.
        inventory.stock_receive(
            company=company,
            actor=users["warehouse"],
            warehouse=south,
            reference="PO-DEMO-000-GZ",
            lines=[{"product": p, "quantity": 8000} for p in stocked],
        )
        for number, (day, index, customer, basket, quantities) in enumerate(plans):
            clock.now = moment(day, 9 + number % 8)
            actor = customer.owner
            lines = [
                {"product": p, "quantity": max(1, int(quantities[p.pk] * rng.uniform(0.6, 1.5)))}
                for p in basket
            ]
            if rng.random() < 0.3:  # now and then something extra
                lines.append({"product": rng.choice(stocked), "quantity": rng.randint(1, 20)})
            age = (today - day).days
            # Now and then a rep gives a discount the rules send to approval.
            if number % 17 == 5 or (age < 10 and number % 2 == 0):
                lines[0]["discount_percent"] = Decimal("20")
            order = sales.order_create(
                company=company,
                actor=actor,
                customer=customer,
                lines=lines,
                customer_reference=f"PO-{day:%Y%m}-{number:04d}",
                warehouse=south if index % 3 == 1 else None,
            )
            if age < 20 and number % 5 == 0:
                continue  # a quotation still being worked on
            try:
                order = sales.order_submit(order=order, actor=actor)
            except DomainError:
                continue
            approver = users["admin"] if actor == users["sales_manager"] else users["sales_manager"]
            if order.status == "pending_approval":
                if age < 10:
                    continue  # waits in the approvals inbox
                clock.now = moment(day + datetime.timedelta(days=1), 15)
                choice = number % 7
                try:
                    if choice == 0:
                        sales.order_reject(
                            order=order, actor=approver, reason=rng.choice(REJECT_REASONS)
                        )
                        continue
                    if choice == 1:
                        sales.order_request_changes(
                            order=order, actor=approver, comment=CHANGE_REQUESTS[0]
                        )
                        continue
                    order = sales.order_approve(order=order, actor=approver, comment="OK")
                except DomainError:
                    continue
            if order.status != "confirmed":
                continue
            if number % 23 == 7 and age > 5:  # an advance before the goods leave
                clock.now = moment(day + datetime.timedelta(days=1), 11)
                with contextlib.suppress(DomainError):
                    billing.payment_record(
                        company=company,
                        actor=users["finance"],
                        customer=customer,
                        amount=(order.gross_total * Decimal("0.3")).quantize(Decimal("0.01")),
                        currency=order.currency,
                        exchange_rate=order.exchange_rate,
                        method="bank_transfer",
                        reference=f"ADV-{number:04d}",
                        order=order,
                    )
            ship_day = day + datetime.timedelta(days=rng.randint(1, 4))
            if ship_day >= today:
                continue
            clock.now = moment(ship_day, 14)
            partial = number % 9 == 3
            try:
                order_lines = sales_selectors.order_lines(order)
                fulfilment.shipment_create(
                    order=order,
                    actor=users["warehouse"],
                    lines=[
                        {"order_line_id": str(line.pk), "quantity": max(1, int(line.quantity / 2))}
                        for line in order_lines[:1]
                    ]
                    if partial
                    else None,
                    carrier=rng.choice(CARRIERS),
                    tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
                    dispatch=True,
                )
                rest_day = ship_day + datetime.timedelta(days=rng.randint(7, 20))
                if partial and rest_day < today and number % 2:
                    clock.now = moment(rest_day, 14)
                    fulfilment.shipment_create(
                        order=order,
                        actor=users["warehouse"],
                        carrier=rng.choice(CARRIERS),
                        dispatch=True,
                    )
            except DomainError:
                continue
            _settle(
                billing,
                Invoice,
                company,
                users,
                order,
                customer,
                number,
                today,
                moment,
                clock,
                rng,
                unpaid_buckets,
            )


def _settle(
    billing,
    Invoice,
    company,
    users,
    order,
    customer,
    number,
    today,
    moment,
    clock,
    rng,
    unpaid_buckets,
):
    """Pay the order's invoices the way customers do: most on time, some in part, some
    not at all (those age into every bucket), a credit note now and then."""
    for invoice in Invoice.objects.for_company(company).filter(
        order=order, kind="invoice", status__in=["issued", "partially_paid"]
    ):
        if number % 29 == 11:
            clock.now = moment(invoice.issue_date + datetime.timedelta(days=5), 16)
            line = invoice.lines.order_by("pk").first()
            if line is not None:
                with contextlib.suppress(DomainError):
                    billing.credit_note_create(
                        invoice=invoice,
                        actor=users["finance"],
                        lines=[{"invoice_line_id": str(line.pk), "quantity": 1}],
                        reason="货损退款 Damaged in transit",
                    )
            invoice.refresh_from_db()
        pay_day = invoice.due_date + datetime.timedelta(days=rng.randint(-10, 10))
        overdue_age = (today - invoice.due_date).days
        # The first invoice that falls into each overdue bucket stays unpaid, so the aging
        # report always shows all four; others by chance.
        bucket = next((low for low in (91, 61, 31, 1) if 150 > overdue_age >= low), None)
        unpaid = (bucket is not None and bucket not in unpaid_buckets) or rng.random() < (
            0.3 if 0 < overdue_age < 130 else 0.04
        )
        if unpaid and bucket is not None:
            unpaid_buckets.add(bucket)
        if pay_day >= today or unpaid or invoice.status == "paid":
            continue
        amount = invoice.open_amount
        if rng.random() < 0.12:
            amount = (amount / 2).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        clock.now = moment(pay_day, 11)
        with contextlib.suppress(DomainError):
            billing.payment_record(
                company=company,
                actor=users["finance"],
                customer=customer,
                amount=amount,
                currency=invoice.currency,
                exchange_rate=invoice.exchange_rate,
                method=METHODS[number % len(METHODS)],
                reference=f"H-{invoice.number}",
                allocations=[{"invoice": invoice, "amount": amount}],
            )
