"""The company's order-to-cash settings over HTTP (#17): any member reads them, an
administrator changes them through ``accounts.services.company_update`` with the version
(body or If-Match); bad values, a stale version and other roles are refused with their code
and nothing changes. Every answer matches the OpenAPI document."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.api.tests.test_output_shapes import Api
from ordercrm.core.models import AuditEntry, Company


@pytest.fixture
def api(client):
    return Api(client)


def _settings(company):
    fresh = Company.objects.get(pk=company.pk)
    return (
        fresh.version,
        fresh.quotation_validity_days,
        fresh.billing_tolerance,
        fresh.shipping_policy,
        fresh.allow_zero_quantity_lines,
    )


def test_members_read_and_administrators_change_the_settings(
    api, client, company, admin, rep, make_user
):
    boss, seller = api.auth(admin), api.auth(rep)
    warehouse = api.auth(make_user(Role.WAREHOUSE, company))
    _status, read = api.call("get", "/settings", warehouse, expect=200)
    assert (read["code"], read["base_currency"], read["version"]) == ("acme", "CNY", 1)
    assert (read["quotation_validity_days"], read["billing_tolerance"]) == (30, "0")
    assert read["shipping_policy"] == "ship_as_available"
    assert client.get("/api/v1/settings", **boss)["ETag"] == '"1"'

    change = {
        "version": 1,
        "allow_zero_quantity_lines": False,
        "quotation_validity_days": 14,
        "quotation_expiry_notify": True,
        "availability_counts_quotations": True,
        "over_delivery_tolerance": "5",
        "under_delivery_tolerance": "2.5",
        "billing_tolerance": "1.5",
        "shipping_policy": "ship_complete",
    }
    _status, refused = api.call("patch", "/settings", seller, change, expect=403)
    assert refused["error"]["code"] == "core.permission_denied"
    assert _settings(company) == (1, 30, Decimal("0"), "ship_as_available", True)

    _status, changed = api.call("patch", "/settings", boss, change, expect=200)
    assert changed["version"] == 2
    assert changed["allow_zero_quantity_lines"] is False
    assert (changed["quotation_validity_days"], changed["quotation_expiry_notify"]) == (14, True)
    assert changed["availability_counts_quotations"] is True
    assert (changed["over_delivery_tolerance"], changed["under_delivery_tolerance"]) == ("5", "2.5")
    assert (changed["billing_tolerance"], changed["shipping_policy"]) == ("1.5", "ship_complete")
    assert _settings(company) == (2, 14, Decimal("1.5"), "ship_complete", False)
    entry = AuditEntry.objects.for_company(company).get(entity_id=str(company.pk))
    assert entry.changes["quotation_validity_days"] == [30, 14]

    # the same change on version 1 again: stale (409 with the body, 412 with If-Match)
    _status, stale = api.call("patch", "/settings", boss, change, expect=409)
    assert stale["error"]["code"] == "accounts.stale_version"
    assert stale["error"]["details"] == {"current_version": 2}
    response = client.patch(
        "/api/v1/settings",
        data={"billing_tolerance": "3"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
        **boss,
    )
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "accounts.stale_version"
    assert _settings(company) == (2, 14, Decimal("1.5"), "ship_complete", False)

    # bad values: each a 422 naming what is wrong, nothing changed
    for bad, where in (
        ({"billing_tolerance": "150"}, "billing_tolerance"),
        ({"over_delivery_tolerance": "-1"}, "over_delivery_tolerance"),
        ({"quotation_validity_days": 5000}, "quotation_validity_days"),
        ({"quotation_validity_days": -1}, "quotation_validity_days"),
        ({"quotation_validity_days": None}, "quotation_validity_days"),
        ({"billing_tolerance": None}, "billing_tolerance"),
    ):
        _status, refused = api.call("patch", "/settings", boss, {"version": 2, **bad}, expect=422)
        assert refused["error"]["code"] == "core.validation_failed"
        assert list(refused["error"]["details"]["fields"]) == [where], bad
    for bad in (
        {"shipping_policy": "whenever"},
        {"billing_tolerance": "a lot"},
        {"name": "Renamed"},  # the company's identity is not an order-to-cash setting
    ):
        _status, refused = api.call("patch", "/settings", boss, {"version": 2, **bad}, expect=422)
        assert refused["error"]["code"] == "core.validation_failed"
        assert refused["error"]["details"]["errors"], bad
    assert _settings(company) == (2, 14, Decimal("1.5"), "ship_complete", False)
    assert AuditEntry.objects.for_company(company).filter(entity_id=str(company.pk)).count() == 1

    # the If-Match of the current version is accepted; sending what is there is no change
    response = client.patch(
        "/api/v1/settings",
        data={"billing_tolerance": "1.5"},
        content_type="application/json",
        HTTP_IF_MATCH='"2"',
        **boss,
    )
    assert (response.status_code, response["ETag"]) == (200, '"2"')


def test_the_settings_rule_what_a_quotation_may_hold(api, company, admin, rep, customer, products):
    boss, seller = api.auth(admin), api.auth(rep)
    body = {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "0"}]}
    api.call("post", "/orders", seller, body, expect=201)
    api.call("patch", "/settings", boss, {"allow_zero_quantity_lines": False}, expect=200)
    _status, refused = api.call("post", "/orders", seller, body, expect=422)
    assert "quantity" in str(refused["error"]["details"])
