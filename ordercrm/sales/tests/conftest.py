from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.customers import services as customer_services
from ordercrm.sales import services
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status


@pytest.fixture
def team(company):
    from ordercrm.accounts.services import team_create

    return team_create(company=company, name="East")


@pytest.fixture
def rep(make_user, company, team):
    return make_user(Role.SALES_REP, company, username="rep", team=team)


@pytest.fixture
def manager(make_user, company, team):
    return make_user(Role.SALES_MANAGER, company, username="manager", team=team)


@pytest.fixture
def customer(company, rep, make_customer):
    customer = make_customer(company, actor=rep, name="Shanghai Mingda")
    customer_services.contact_add(customer=customer, actor=rep, name="Li Lei", is_primary=True)
    customer_services.address_add(
        customer=customer, actor=rep, kind="billing", line1="1 Renmin Rd", city="Shanghai"
    )
    customer_services.address_add(
        customer=customer, actor=rep, kind="shipping", line1="9 Dock Rd", city="Ningbo"
    )
    return customer


@pytest.fixture
def products(company, make_product):
    return [make_product(company, sku=f"P{i}", list_price=Decimal("10.00") + i) for i in range(3)]


@pytest.fixture
def make_order(company, rep, customer, products):
    def make(n_lines: int = 2, actor=None, **header):
        lines = [
            {"product": products[i % len(products)], "quantity": Decimal(i + 1)}
            for i in range(n_lines)
        ]
        return services.order_create(
            company=company, actor=actor or rep, customer=customer, lines=lines, **header
        )

    return make


@pytest.fixture
def order_in(company, rep, manager, make_order):
    """An order driven through the services into ``status``."""

    def make(status: str) -> SalesOrder:
        order = make_order()
        if status == Status.DRAFT:
            return order
        if status == Status.CANCELLED:
            return services.order_cancel(order=order, actor=rep)
        if status in (Status.PENDING_APPROVAL, Status.REJECTED):
            company.approval_threshold = Decimal("0")
            company.save()
            order = services.order_submit(order=order, actor=rep)
            company.approval_threshold = None
            company.save()
            if status == Status.REJECTED:
                order = services.order_reject(order=order, actor=manager, reason="price too low")
            return order
        order = services.order_submit(order=order, actor=rep)
        if status == Status.ON_HOLD:
            return services.order_hold(order=order, actor=manager, reason="customer asked")
        if status == Status.CLOSED:
            return services.order_close(order=order, actor=manager)
        if status == Status.COMPLETED:
            from django.db.models import F

            order.lines.update(qty_shipped=F("quantity"), qty_invoiced=F("quantity"))
            SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
                amount_paid=order.gross_total
            )
            services.order_complete_if_done(order=order)
            return SalesOrder.objects.for_company(company).get(pk=order.pk)
        return order

    return make
