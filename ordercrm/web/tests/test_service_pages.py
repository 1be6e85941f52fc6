"""The after-sales pages: hostile input on every service form and filter answers below 500
with nothing half-written; the desk and the case page cost a bounded number of queries
whatever the number of cases, lines and messages; refusals show inline."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.accounts.roles import Role
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.service import services
from ordercrm.service.models import Case
from ordercrm.web.tests.test_sweep import HOSTILE, _sweep


@pytest.fixture
def agent(make_user, company, team):
    return make_user(Role.SUPPORT, company, username="agent", team=team)


@pytest.fixture
def order(company, make_user, make_order, products, rep):
    keeper = make_user(Role.WAREHOUSE, company)
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 500} for p in products],
    )
    order = sales.order_submit(order=make_order(n_lines=3), actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    return order


def open_case(company, agent, order, n_lines=2):
    lines = list(order.lines.order_by("position"))[:n_lines]
    return services.case_create(
        company=company,
        actor=agent,
        customer=order.customer,
        order=order,
        subject="Scratched",
        lines=[{"order_line_id": str(x.pk), "quantity": "1"} for x in lines],
    )


@pytest.mark.sweep  # hostile input to every service-desk form: a slow suite
def test_no_service_input_answers_a_server_error(
    client, company, agent, admin, order, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = open_case(company, agent, order)
    client.force_login(admin)  # the admin also reaches the service-level settings
    client.raise_request_exception = False
    start = [
        reverse("service_desk"),
        reverse("service_reports"),
        reverse("case_detail", args=[case.pk]),
        reverse("case_new") + f"?order={order.pk}",
        reverse("case_new") + f"?customer={order.customer_id}",
        reverse("service_settings"),
    ]
    pages, forms, attempts, _results, failures = _sweep(client, start, budget=7)
    for bad in ("nope", "00000000-0000-0000-0000-000000000000", "%00", "1e30"):
        for url in (
            f"/service/cases/{bad}/",
            f"/service/cases/{case.pk}/files/{bad}/",
            f"/service/cases/new/?order={bad}",
            f"/service/cases/new/?customer={bad}",
        ):
            response = client.get(url)
            attempts += 1
            if response.status_code >= 500:
                failures.append(("GET", url))
        response = client.post(f"/service/cases/{case.pk}/{bad}/")
        if response.status_code >= 500:
            failures.append(("POST", bad))
    for param in ("q", "status", "sla", "from"):
        for bad in HOSTILE:
            for name in ("service_desk", "service_reports"):
                response = client.get(reverse(name), {param: bad})
                attempts += 1
                if response.status_code >= 500:
                    failures.append(("GET", name, param, repr(bad[:12])))
    print(f"\nservice sweep: {len(pages)} pages, {len(forms)} forms, {attempts} attempts")
    assert len(forms) >= 5
    assert failures == []
    # the case still has its two lines: no hostile post half-wrote anything
    assert Case.objects.for_company(company).get(pk=case.pk).lines.count() == 2


def test_a_refused_case_shows_inline_and_writes_nothing(client, company, agent, order):
    client.force_login(agent)
    line = order.lines.order_by("position").first()
    response = client.post(
        reverse("case_new"),
        {"order": str(order.pk), "subject": "x", f"qty_{line.pk}": "999"},
    )
    assert response.status_code == 422
    assert "At most the ordered quantity" in response.content.decode()
    assert not Case.objects.for_company(company).exists()


def test_pages_cost_a_bounded_number_of_queries(
    client, company, agent, order, django_assert_max_num_queries
):
    client.force_login(agent)
    few = open_case(company, agent, order, n_lines=1)
    client.get(reverse("service_desk"))  # warm the session and caches alike
    with django_assert_max_num_queries(20) as one:
        assert client.get(reverse("service_desk") + "?queue=all").status_code == 200
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse("case_detail", args=[few.pk])).status_code == 200
    many = open_case(company, agent, order, n_lines=3)
    for index in range(8):
        open_case(company, agent, order)
        services.case_comment_add(case=many, actor=agent, body=f"message {index}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("service_desk") + "?queue=all").status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("case_detail", args=[many.pk])).status_code == 200
    assert Decimal(1) == few.lines.get().quantity


def test_service_levels_settings(client, company, admin, agent, products):
    import datetime

    from ordercrm.service.models import CalendarDay, SlaPolicy, WarrantyTerm

    client.force_login(agent)
    assert client.get(reverse("service_settings")).status_code == 403
    client.force_login(admin)
    assert client.get(reverse("service_settings")).status_code == 200
    url = reverse("service_settings")
    ok = client.post(
        url,
        {
            "form": "policy",
            "case_type": "repair",
            "priority": "high",
            "response_hours": "3",
            "resolution_hours": "12",
        },
    )
    assert ok.status_code == 302
    policy = SlaPolicy.objects.for_company(company).get(case_type="repair", priority="high")
    assert (policy.response_hours, policy.resolution_hours) == (Decimal("3"), Decimal("12"))
    bad = client.post(
        url,
        {
            "form": "policy",
            "case_type": "repair",
            "priority": "high",
            "response_hours": "5",
            "resolution_hours": "1",
        },
    )
    assert bad.status_code == 422
    assert "At least the first-response time." in bad.content.decode()
    client.post(url, {"form": "day", "date": "2026-11-09", "is_working": "0", "name": "Stocktake"})
    assert CalendarDay.objects.for_company(company).get().date == datetime.date(2026, 11, 9)
    client.post(url, {"form": "warranty", "target": products[0].sku, "months": "24"})
    assert WarrantyTerm.objects.for_company(company).get().months == 24
    client.post(url, {"form": "day_remove", "date": "2026-11-09"})
    assert not CalendarDay.objects.for_company(company).exists()
