import pytest
from django.core.management import call_command
from django.utils import timezone

from ordercrm.accounts.models import Membership, User
from ordercrm.catalog.models import PriceListItem, Product
from ordercrm.core.models import AuditEntry, Company
from ordercrm.customers.models import Address, Contact, Customer


def counts():
    return {
        "companies": Company.objects.count(),
        "users": User.objects.count(),
        "customers": Customer.objects.unscoped().count(),
        "contacts": Contact.objects.unscoped().count(),
        "addresses": Address.objects.unscoped().count(),
        "products": Product.objects.unscoped().count(),
        "prices": PriceListItem.objects.unscoped().count(),
        "audit": AuditEntry.objects.unscoped().count(),
    }


from ordercrm.fulfilment.models import Shipment  # noqa: E402
from ordercrm.inventory.models import StockLevel  # noqa: E402
from ordercrm.inventory.selectors import ledger_discrepancies  # noqa: E402
from ordercrm.sales.models import SalesOrder  # noqa: E402


@pytest.mark.django_db
def test_demo_builds_a_realistic_company_once(capsys):
    """One demo build for the whole suite (each costs tens of seconds): what a newcomer sees,
    18 months of the whole product, the default rules, and that a second run changes nothing."""
    call_command("demo")
    _realistic_company(capsys)
    _eighteen_months_of_the_whole_product()
    _default_rules_and_rates()
    _both_warehouses_have_a_past()
    first = counts()
    call_command("demo")
    assert counts() == first
    assert "already loaded" in capsys.readouterr().out


def _realistic_company(capsys):
    first = counts()
    assert first["companies"] == 1
    assert first["customers"] == 50
    assert first["products"] >= 100
    assert first["contacts"] >= 50
    assert first["addresses"] == 100
    assert set(User.objects.values_list("username", flat=True)) == {
        "admin",
        "sales_manager",
        "sales_rep",
        "sales_rep2",
        "finance",
        "warehouse",
        "support",
        "viewer",
    }
    assert User.objects.get(username="sales_rep").check_password("ordercrm-demo")
    assert Customer.objects.unscoped().filter(name__contains="有限公司").exists()
    assert Customer.objects.unscoped().filter(language="en", currency="USD").exists()
    statuses = set(SalesOrder.objects.unscoped().values_list("status", flat=True))
    assert {"draft", "confirmed"} <= statuses
    shipments = set(Shipment.objects.unscoped().values_list("status", flat=True))
    assert shipments == {"draft", "dispatched"}
    assert StockLevel.objects.unscoped().filter(reserved__gt=0).exists()
    for company in Company.objects.all():
        assert ledger_discrepancies(company) == []
    from ordercrm.billing.models import Invoice

    invoice_statuses = set(Invoice.objects.unscoped().values_list("status", flat=True))
    assert {"issued", "partially_paid", "paid"} <= invoice_statuses
    out = capsys.readouterr().out
    assert "sales_manager" in out
    assert "ordercrm-demo" in out


def _eighteen_months_of_the_whole_product():
    import datetime

    from ordercrm.billing.models import Invoice
    from ordercrm.billing.selectors import days_overdue
    from ordercrm.sales.models import OrderTemplate

    today = datetime.date.today()
    months = {
        (d.year, d.month)
        for d in SalesOrder.objects.unscoped().values_list("order_date", flat=True)
    }
    year, month = today.year, today.month
    for _ in range(18):
        assert (year, month) in months
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    assert SalesOrder.objects.unscoped().filter(status="pending_approval").exists()
    assert SalesOrder.objects.unscoped().filter(status="rejected").exists()
    open_invoices = Invoice.objects.unscoped().filter(
        kind="invoice", status__in=["issued", "partially_paid"]
    )
    buckets = {
        next(
            name
            for name, low in (("90+", 91), ("61-90", 61), ("31-60", 31), ("0-30", 0))
            if late >= low
        )
        for late in (days_overdue(invoice, today) for invoice in open_invoices)
    }
    assert buckets == {"0-30", "31-60", "61-90", "90+"}
    assert Invoice.objects.unscoped().filter(kind="credit_note").exists()
    assert OrderTemplate.objects.unscoped().exists()
    assert PriceListItem.objects.unscoped().filter(min_quantity__gt=1).exists()


def _default_rules_and_rates():
    import datetime
    from decimal import Decimal

    from ordercrm.catalog.models import ExchangeRate
    from ordercrm.core.dates import company_today
    from ordercrm.sales.models import ApprovalRule, RuleKind

    demo = Company.objects.get()
    assert set(ApprovalRule.objects.for_company(demo).values_list("kind", "threshold")) == {
        (RuleKind.BELOW_PRICE_LIST, Decimal("10")),
        (RuleKind.LINE_DISCOUNT, Decimal("15")),
        (RuleKind.ORDER_TOTAL, Decimal("50000")),
    }
    # The four recent rates finance keeps, and (since the demo has 18 months of history) one a
    # month before them, so every back-dated USD order takes the rate of its own date.
    usd = ExchangeRate.objects.for_company(demo).filter(currency="USD")
    recent = usd.filter(date__gte=company_today(demo) - datetime.timedelta(days=60))
    assert recent.count() == 4
    assert usd.count() > 4
    assert not Customer.objects.for_company(demo).filter(credit_limit__isnull=True).exists()


def _both_warehouses_have_a_past():
    """Months of shipments from each warehouse, each after its opening receipt."""
    import datetime

    from ordercrm.inventory.models import StockMove

    month_ago = timezone.now() - datetime.timedelta(days=30)
    for code in ("main", "gz"):
        moves = StockMove.objects.unscoped().filter(warehouse__code=code).order_by("created_at")
        assert moves.first().kind == "receipt", code
        assert moves.filter(kind="shipment", created_at__lt=month_ago).count() >= 20, code


@pytest.mark.django_db
def test_demo_if_empty_leaves_a_real_database_alone(company, capsys):
    call_command("demo", if_empty=True)
    assert Company.objects.count() == 1
    assert "no demo data" in capsys.readouterr().out


@pytest.mark.django_db
def test_createuser(company):
    call_command(
        "createuser", "li", company="acme", role="finance", password="a long good password"
    )
    membership = Membership.objects.get(user__username="li")
    assert (membership.company, membership.role, membership.record_scope) == (
        company,
        "finance",
        "company",
    )
    with pytest.raises(Exception, match="username_taken"):
        call_command(
            "createuser", "li", company="acme", role="finance", password="a long good password"
        )
