"""Multi-currency settlement (#17): company-currency amounts of invoices, payments and
allocations, and the exchange difference each allocation realises.

The company currency is CNY. A USD order confirmed at 7.10 bills 113.00 USD (802.30 CNY);
paid at 7.20 the payment is worth more in CNY than it settles (a gain), at 7.00 less (a
loss)."""

from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.billing import selectors, services
from ordercrm.billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from ordercrm.catalog.services import exchange_rate_set
from ordercrm.core.dates import company_today
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.customers.models import Customer
from ordercrm.sales import services as sales

D = Decimal


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def pay(company, finance, customer, invoice, amount, rate, **extra):
    return services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=amount,
        currency=invoice.currency,
        method="bank_transfer",
        exchange_rate=rate,
        allocations=[{"invoice": invoice, "amount": amount}] if invoice else [],
        **extra,
    )


def allocation_of(payment):
    return PaymentAllocation.objects.for_company(payment.company_id).get(payment=payment)


def test_same_currency_rates_are_one_and_differences_zero(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(10,))  # 113.00 CNY
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="150.00",
        currency="CNY",
        method="cash",
        allocations=[{"invoice": invoice, "amount": "113.00"}],
    )
    allocation = allocation_of(payment)
    invoice, payment = fresh(invoice), fresh(payment)
    assert invoice.exchange_rate == payment.exchange_rate == 1
    assert invoice.company_gross_total == invoice.amount_paid_base == D("113.00")
    assert payment.amount_base == D("150.00")
    assert allocation.base_amount == allocation.invoice_base_amount == D("113.00")
    assert allocation.exchange_difference == 0
    assert payment.unallocated_base == D("37.00")


def test_usd_invoice_at_7_10_paid_at_7_20_is_a_gain(company, finance, customer, usd_invoice):
    invoice = usd_invoice("7.10")
    assert invoice.gross_total == D("113.00")
    assert fresh(invoice).company_gross_total == D("802.30")
    payment = pay(company, finance, customer, invoice, "113.00", "7.20")
    allocation = allocation_of(payment)
    assert fresh(payment).amount_base == D("813.60")
    assert allocation.base_amount == D("813.60")
    assert allocation.invoice_base_amount == D("802.30")
    assert allocation.exchange_difference == D("11.30")  # gain
    invoice = fresh(invoice)
    assert invoice.amount_paid_base == D("802.30")
    assert invoice.open_base == 0
    assert fresh(payment).unallocated_base == 0


def test_usd_invoice_at_7_10_paid_at_7_00_is_a_loss(company, finance, customer, usd_invoice):
    invoice = usd_invoice("7.10")
    payment = pay(company, finance, customer, invoice, "113.00", "7.00")
    allocation = allocation_of(payment)
    assert allocation.base_amount == D("791.00")
    assert allocation.invoice_base_amount == D("802.30")
    assert allocation.exchange_difference == D("-11.30")  # loss
    assert fresh(invoice).open_base == 0


def test_partial_payments_at_two_rates_settle_the_invoice_to_the_cent(
    company, finance, customer, usd_invoice
):
    invoice = usd_invoice("7.10")
    first = pay(company, finance, customer, invoice, "50.00", "7.20")
    a = allocation_of(first)
    # 63.00 USD left open is worth 447.30 at 7.10: the 50.00 settled 802.30 − 447.30
    assert (a.base_amount, a.invoice_base_amount, a.exchange_difference) == (
        D("360.00"),
        D("355.00"),
        D("5.00"),
    )
    assert fresh(invoice).open_base == D("447.30")
    second = pay(company, finance, customer, fresh(invoice), "63.00", "7.00")
    b = allocation_of(second)
    assert (b.base_amount, b.invoice_base_amount, b.exchange_difference) == (
        D("441.00"),
        D("447.30"),
        D("-6.30"),
    )
    invoice = fresh(invoice)
    assert a.invoice_base_amount + b.invoice_base_amount == invoice.company_gross_total
    assert invoice.open_base == 0
    # the customer owes nothing, in either currency
    customer = fresh(customer)
    assert customer.receivable_balance == 0


def test_a_payment_spread_over_two_invoices_uses_up_its_base_exactly(
    company, finance, customer, usd_invoice
):
    one = usd_invoice("7.10")
    two = usd_invoice("7.10")
    payment = services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="200.00",
        currency="USD",
        method="bank_transfer",
        exchange_rate="7.2345",
        allocations=[{"invoice": one, "amount": "113.00"}, {"invoice": two, "amount": "87.00"}],
    )
    payment = fresh(payment)
    rows = list(PaymentAllocation.objects.for_company(company).filter(payment=payment))
    assert payment.amount_base == D("1446.90")
    assert sum(r.base_amount for r in rows) == payment.amount_base
    assert payment.unallocated == payment.unallocated_base == 0
    for row in rows:
        assert row.exchange_difference == row.base_amount - row.invoice_base_amount


def test_credit_note_releases_pro_rata_and_keeps_the_invoice_settled(
    company, finance, customer, usd_invoice
):
    invoice = usd_invoice("7.10", quantity=2)  # 226.00 USD, 1604.60 CNY
    payment = pay(company, finance, customer, invoice, "226.00", "7.20")
    line = InvoiceLine.objects.for_company(company).get(invoice=invoice)
    note = services.credit_note_create(
        invoice=invoice,
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": "1"}],
    )
    assert note.gross_total == D("113.00")
    assert fresh(note).company_gross_total == D("802.30")
    allocation = allocation_of(payment)
    # half the allocation is taken back, half of each of its base amounts with it
    assert allocation.amount == D("113.00")
    assert allocation.base_amount == D("813.60")
    assert allocation.invoice_base_amount == D("802.30")
    assert allocation.exchange_difference == D("11.30")
    invoice, payment = fresh(invoice), fresh(payment)
    assert invoice.amount_credited_base == D("802.30")
    assert invoice.amount_paid_base == D("802.30")
    assert invoice.open_amount == invoice.open_base == 0
    assert payment.unallocated == D("113.00")
    assert payment.unallocated_base == D("813.60")
    # the credit is then refunded at the payment's rate: nothing is left in either currency
    refund = services.payment_refund(
        payment=payment, amount="113.00", reason="returned goods", actor=finance
    )
    assert refund.base_amount == D("813.60")
    payment = fresh(payment)
    assert payment.unallocated == payment.unallocated_base == 0
    assert fresh(customer).advance_balance == 0


def test_full_credit_takes_the_whole_allocation_back(company, finance, customer, usd_invoice):
    invoice = usd_invoice("7.13", quantity=3)  # 339.00 USD, 2417.07 CNY
    first = pay(company, finance, customer, invoice, "100.01", "7.2")
    pay(company, finance, customer, fresh(invoice), "238.99", "6.91")
    line = InvoiceLine.objects.for_company(company).get(invoice=invoice)
    services.credit_note_create(
        invoice=fresh(invoice),
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": "3"}],
    )
    invoice = fresh(invoice)
    assert invoice.amount_credited_base == invoice.company_gross_total
    assert invoice.amount_paid == invoice.amount_paid_base == 0
    assert not PaymentAllocation.objects.for_company(company).filter(invoice=invoice).exists()
    first = fresh(first)
    assert first.unallocated_base == first.amount_base
    assert fresh(customer).advance_balance == sum(
        p.amount_base for p in Payment.objects.for_company(company).filter(customer=customer)
    )


def test_receivables_are_the_open_base_amounts(company, finance, customer, usd_invoice):
    invoice = usd_invoice("7.10")
    pay(company, finance, customer, invoice, "50.00", "7.20")
    customer = Customer.objects.for_company(company).get(pk=customer.pk)
    assert customer.receivable_balance == D("447.30")  # 63.00 USD at the invoice's 7.10


def test_exchange_differences_over_a_period(company, finance, admin, customer, usd_invoice):
    invoice = usd_invoice("7.10")
    pay(company, finance, customer, invoice, "50.00", "7.20")
    pay(company, finance, customer, fresh(invoice), "63.00", "7.00")
    today = company_today(company)
    result = selectors.exchange_differences(access_for(admin, company), today, today)
    assert result.currency == "CNY"
    assert [r.exchange_difference for r in result.rows] == [D("5.00"), D("-6.30")]
    assert (result.gain, result.loss, result.net) == (D("5.00"), D("-6.30"), D("-1.30"))
    assert result.rows[0].invoice.number == invoice.number
    mine = selectors.exchange_differences(
        access_for(admin, company), today, today, customer_id=customer.pk
    )
    assert mine.net == D("-1.30")
    yesterday = today.replace(day=1) if today.day > 1 else today
    if yesterday != today:
        earlier = selectors.exchange_differences(access_for(admin, company), yesterday, yesterday)
        assert earlier.rows == []
    with pytest.raises(ValidationFailed):
        selectors.exchange_differences(
            access_for(admin, company), today, yesterday.replace(year=2000)
        )


def test_exchange_differences_are_scoped_to_the_company(
    company, other_company, make_user, finance, customer, usd_invoice
):
    from ordercrm.accounts.roles import Role

    invoice = usd_invoice("7.10")
    pay(company, finance, customer, invoice, "113.00", "7.20")
    outsider = make_user(Role.ADMIN, other_company, username="outsider")
    today = company_today(company)
    assert (
        selectors.exchange_differences(access_for(outsider, other_company), today, today).rows == []
    )


def test_the_invoice_completing_the_order_takes_what_is_left_of_its_base(
    company, rep, finance, customer, stocked
):
    # at 7.12355, 100.00 + 13.00 USD is 712.36 + 92.61 = 804.97 CNY on the order, while
    # each half (56.50 USD) alone is 402.48: the second invoice takes 402.49
    exchange_rate_set(
        company=company, actor=finance, currency="USD", date=company_today(company), rate="7.12355"
    )
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            currency="USD",
            invoicing_policy="manual",
            lines=[{"product": stocked[0], "quantity": 2, "unit_price": "50.00"}],
        ),
        actor=rep,
    )
    assert order.company_gross_total == D("804.97")
    line = order.lines.get()
    halves = [
        services.invoice_create(
            order=order,
            actor=finance,
            lines=[{"order_line_id": str(line.pk), "quantity": "1"}],
            issue=True,
        )
        for _ in range(2)
    ]
    assert [fresh(i).company_gross_total for i in halves] == [D("402.48"), D("402.49")]


def test_partial_payments_at_the_invoice_rate_realise_no_difference(
    company, finance, customer, usd_invoice
):
    invoice = usd_invoice("7.13")  # 113.00 USD = 805.69 CNY
    parts = ["0.03", "33.33", "0.07", "79.57"]
    for part in parts:
        pay(company, finance, customer, fresh(invoice), part, "7.13")
    rows = list(
        PaymentAllocation.objects.for_company(company)
        .filter(invoice=invoice)
        .order_by("created_at")
    )
    assert [r.exchange_difference for r in rows[:-1]] == [0, 0, 0]
    assert abs(rows[-1].exchange_difference) <= D("0.01")  # the settling rounding cent only
    invoice = fresh(invoice)
    assert invoice.open_base == 0
    assert sum(r.invoice_base_amount for r in rows) == D("805.69")


def test_the_migration_backfills_what_the_services_write(company, finance, customer, usd_invoice):
    import importlib

    from django.apps import apps

    from ordercrm.billing.models import PaymentRefund

    backfill = importlib.import_module(
        "ordercrm.billing.migrations.0005_exchange_differences"
    ).backfill_base_amounts
    invoice = usd_invoice("7.10", quantity=2)
    first = services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="110.00",
        currency="USD",
        method="cash",
        exchange_rate="7.20",
        allocations=[{"invoice": invoice, "amount": "100.00"}],
    )
    services.payment_record(  # 24.00 of it stays as credit
        company=company,
        actor=finance,
        customer=customer,
        amount="150.00",
        currency="USD",
        method="cash",
        exchange_rate="6.95",
        allocations=[{"invoice": fresh(invoice), "amount": "126.00"}],
    )
    line = InvoiceLine.objects.for_company(company).get(invoice=invoice)
    services.credit_note_create(
        invoice=fresh(invoice),
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": "1"}],
    )
    services.payment_refund(payment=fresh(first), amount="10.00", reason="x", actor=finance)

    def snapshot():
        return (
            sorted(
                (str(i.pk), i.amount_paid_base, i.amount_credited_base)
                for i in Invoice.objects.for_company(company)
            ),
            sorted(
                (str(p.pk), p.amount_base, p.amount_allocated_base, p.amount_refunded_base)
                for p in Payment.objects.for_company(company)
            ),
            sorted(
                (str(a.pk), a.base_amount, a.invoice_base_amount, a.exchange_difference)
                for a in PaymentAllocation.objects.for_company(company)
            ),
            sorted((str(r.pk), r.base_amount) for r in PaymentRefund.objects.for_company(company)),
        )

    written = snapshot()
    PaymentAllocation.objects.for_company(company).update(
        base_amount=0, invoice_base_amount=0, exchange_difference=0
    )
    Payment.objects.for_company(company).update(
        amount_base=0, amount_allocated_base=0, amount_refunded_base=0
    )
    Invoice.objects.for_company(company).update(amount_paid_base=0, amount_credited_base=0)
    PaymentRefund.objects.for_company(company).update(base_amount=0)
    backfill(apps, None)
    assert snapshot() == written


def test_two_allocations_of_one_payment_are_released_into_the_same_payment(
    company, finance, customer, usd_invoice
):
    invoice = usd_invoice("7.10", quantity=2)  # 226.00 USD
    payment = services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="226.00",
        currency="USD",
        method="bank_transfer",
        exchange_rate="7.20",
    )
    for part in ("100.00", "126.00"):
        services.payment_allocate(
            payment=fresh(payment),
            actor=finance,
            allocations=[{"invoice_id": str(invoice.pk), "amount": part}],
        )
    line = InvoiceLine.objects.for_company(company).get(invoice=invoice)
    services.credit_note_create(
        invoice=fresh(invoice),
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": "2"}],  # all of it
    )
    payment = fresh(payment)
    assert payment.amount_allocated == payment.amount_allocated_base == 0
    assert payment.unallocated == D("226.00")
    assert payment.unallocated_base == payment.amount_base == D("1627.20")


def test_aging_in_company_currency_is_the_open_base_to_the_cent(
    company, admin, rep, finance, customer, stocked, confirmed_order
):
    """Invoices in USD in a CNY company age at their stored open base, not at open × rate:
    the buckets add up to the receivable balance to the cent, on the report, its page rows
    and the customer's receivables. At 7.12355 an order of 113.00 USD is 804.97 CNY; each
    half (56.50 USD) is 402.48 at the rate, and the half completing the order takes what is
    left: 402.49. Paid 6.50 at the invoice's own rate (no difference), 50.00 USD stay open,
    worth 356.19 in base while 50.00 × 7.12355 would say 356.18."""
    import datetime

    from ordercrm.billing.models import InvoiceInstalment
    from ordercrm.customers import services as customer_services
    from ordercrm.customers.payment_terms import payment_term_create

    terms = payment_term_create(
        company=company,
        actor=admin,
        name="30/70",
        lines=[{"percent": "30", "base": "order"}, {"percent": "70", "days": 30}],
    )
    customer_services.customer_update(customer=customer, actor=finance, payment_terms=terms)
    exchange_rate_set(
        company=company, actor=finance, currency="USD", date=company_today(company), rate="7.12355"
    )
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            currency="USD",
            invoicing_policy="manual",
            lines=[{"product": stocked[0], "quantity": 2, "unit_price": "50.00"}],
        ),
        actor=rep,
    )
    line = order.lines.get()
    one, two = (
        services.invoice_create(
            order=order,
            actor=finance,
            lines=[{"order_line_id": str(line.pk), "quantity": "1"}],
            issue=True,
        )
        for _ in range(2)
    )
    pay(company, finance, customer, fresh(two), "6.50", "7.12355")
    one, two = fresh(one), fresh(two)
    assert (one.open_amount, one.open_base) == (D("56.50"), D("402.48"))
    assert (two.open_amount, two.open_base) == (D("50.00"), D("356.19"))
    # each invoice's open base shared over its open instalments, to its cent:
    # one 16.95 : 39.55 of 402.48; two (6.50 of the first paid) 10.45 : 39.55 of 356.19
    parts = {
        invoice.pk: list(InvoiceInstalment.objects.for_company(company).filter(invoice=invoice))
        for invoice in (one, two)
    }
    assert [(x.open_amount, x.open_base) for x in parts[one.pk]] == [
        (D("16.95"), D("120.74")),
        (D("39.55"), D("281.74")),
    ]
    assert [(x.open_amount, x.open_base) for x in parts[two.pk]] == [
        (D("10.45"), D("74.44")),
        (D("39.55"), D("281.75")),
    ]
    # the first instalments 40 days late; a CNY invoice (11.30, rate 1) beside them, not due
    today = company_today(company)
    InvoiceInstalment.objects.for_company(company).filter(
        pk__in=[parts[one.pk][0].pk, parts[two.pk][0].pk]
    ).update(due_date=today - datetime.timedelta(days=40))
    services.invoice_create(order=confirmed_order("manual", (1,)), actor=finance, issue=True)
    expected = {
        "0_30": D("281.74") + D("281.75") + D("11.30"),
        "31_60": D("120.74") + D("74.44"),
        "61_90": 0,
        "90_plus": 0,
    }
    # open × rate would age 27.40 USD late as 195.19 and 79.10 USD + 11.30 CNY as 574.77
    assert expected["31_60"] == D("195.18")
    assert expected["0_30"] == D("574.79")
    access = access_for(finance, company)
    aging = selectors.aging_report(access, today)
    assert aging.totals == expected
    (row,) = aging.rows(aging.customers)
    assert {name: row[name] for name in expected} == expected
    assert sum(expected.values()) == fresh(customer).receivable_balance == D("769.97")
    assert selectors.customer_receivables(access, customer.pk, today).aging == expected
