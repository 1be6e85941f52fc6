"""Tax mappings over HTTP (#17): list, read, create, change and delete them (administrators),
and give one to a customer on create and patch. Every answer matches the OpenAPI document;
refusals carry their code and change nothing."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.api.tests.test_output_shapes import Api
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import TaxMapping, TaxMappingRule, TaxRate
from ordercrm.customers.models import Customer


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def rates(company):
    return {r.rate: str(r.pk) for r in TaxRate.objects.for_company(company)}


def _rule(rates, source, target):
    return {"from_tax_rate_id": rates[Decimal(source)], "to_tax_rate_id": rates[Decimal(target)]}


def _state(company):
    return (
        sorted(TaxMapping.objects.for_company(company).values_list("name", "is_active")),
        TaxMappingRule.objects.for_company(company).count(),
    )


def test_tax_mappings_crud_as_the_settings_page_allows(api, company, admin, rep, rates):
    boss, seller = api.auth(admin), api.auth(rep)
    body = {"name": "Export", "rules": [_rule(rates, "13", "0"), _rule(rates, "9", "0")]}
    _status, refused = api.call("post", "/tax-mappings", seller, body, expect=403)
    assert refused["error"]["code"] == "core.permission_denied"
    assert _state(company) == ([], 0)

    _status, made = api.call("post", "/tax-mappings", boss, body, expect=201)
    assert made["name"] == "Export"
    assert made["is_active"] is True
    assert [(r["from_rate"], r["to_rate"], r["to_name"]) for r in made["rules"]] == [
        ("9", "0", "VAT 0%"),
        ("13", "0", "VAT 0%"),
    ]
    # a rep reads them (the customer form offers them) but may not change them
    _status, listed = api.call("get", "/tax-mappings", seller, expect=200)
    assert [m["id"] for m in listed] == [made["id"]]
    _status, one = api.call("get", f"/tax-mappings/{made['id']}", seller, expect=200)
    assert one == made
    _status, refused = api.call(
        "patch", f"/tax-mappings/{made['id']}", seller, {"is_active": False}, expect=403
    )
    assert refused["error"]["code"] == "core.permission_denied"

    # refusals name their field and change nothing
    before = _state(company)
    for bad, field in (
        ({"name": "export"}, "name"),  # the name in another case is taken
        ({"name": "Dup", "rules": [_rule(rates, "13", "0"), _rule(rates, "13", "6")]}, "rules"),
        ({"name": "Self", "rules": [_rule(rates, "6", "6")]}, "rules"),
        (
            {"name": "Ghost", "rules": [{"from_tax_rate_id": "nope", "to_tax_rate_id": "x"}]},
            "rules",
        ),
    ):
        _status, refused = api.call("post", "/tax-mappings", boss, bad, expect=422)
        assert refused["error"]["code"] == "core.validation_failed"
        assert list(refused["error"]["details"]["fields"]) == [field], bad
    _status, refused = api.call(
        "post", "/tax-mappings", boss, {"name": "X", "colour": "red"}, expect=422
    )
    assert refused["error"]["code"] == "core.validation_failed"
    assert _state(company) == before

    # rename, switch off, replace the rules
    _status, changed = api.call(
        "patch",
        f"/tax-mappings/{made['id']}",
        boss,
        {"name": "Export EU", "is_active": False, "rules": [_rule(rates, "13", "6")]},
        expect=200,
    )
    assert (changed["name"], changed["is_active"]) == ("Export EU", False)
    assert [(r["from_rate"], r["to_rate"]) for r in changed["rules"]] == [("13", "6")]
    assert api.call("get", "/tax-mappings", boss, expect=200)[1] == []
    _status, everything = api.call("get", "/tax-mappings?include_inactive=true", boss, expect=200)
    assert [m["name"] for m in everything] == ["Export EU"]

    # a write based on an older version is a 409 (a second tab), or a 412 with If-Match;
    # nothing changes
    assert changed["version"] == made["version"] + 1
    for stale, answer in (
        ({"version": made["version"], "name": "Tab 2"}, 409),
        ({"name": "Tab 2"}, 412),
    ):
        headers = {} if "version" in stale else {"HTTP_IF_MATCH": f'"{made["version"]}"'}
        response = api.client.patch(
            f"/api/v1/tax-mappings/{made['id']}",
            data=stale,
            content_type="application/json",
            **boss,
            **headers,
        )
        assert response.status_code == answer, response.content
        assert response.json()["error"]["code"] == "catalog.stale_version"
        assert response.json()["error"]["details"]["current_version"] == changed["version"]
    assert TaxMapping.objects.for_company(company).get(pk=made["id"]).name == "Export EU"

    # delete; then it is gone (404) for reads, writes and a second delete
    api.call("delete", f"/tax-mappings/{made['id']}", boss, expect=204)
    assert _state(company) == ([], 0)
    for method, body in (("get", None), ("patch", {"is_active": True}), ("delete", None)):
        _status, gone = api.call(method, f"/tax-mappings/{made['id']}", boss, body, expect=404)
        assert gone["error"]["code"] == "core.not_found"


def test_a_customer_takes_a_mapping_on_create_and_patch(
    api, company, other_company, admin, rep, customer, products, make_user, rates
):
    boss, seller = api.auth(admin), api.auth(rep)
    _status, export = api.call(
        "post", "/tax-mappings", boss, {"name": "Export", "rules": [_rule(rates, "13", "0")]}
    )
    _status, made = api.call(
        "post",
        "/customers",
        seller,
        {"name": "Hamburg Import GmbH", "currency": "CNY", "tax_mapping_id": export["id"]},
        expect=201,
    )
    assert made["tax_mapping_id"] == export["id"]
    # the customer's orders take the mapped rate
    _status, order = api.call(
        "post",
        "/orders",
        seller,
        {"customer_id": made["id"], "lines": [{"sku": "P0", "quantity": "1"}]},
        expect=201,
    )
    assert (order["lines"][0]["tax_rate"], order["tax_total"]) == ("0", "0.00")

    foreign = catalog.tax_mapping_create(
        company=other_company, actor=make_user(Role.ADMIN, other_company), name="Export"
    )
    customers_before = Customer.objects.for_company(company).count()
    for wanted in (str(foreign.pk), "0190f0e4-0000-7000-8000-000000000000", "nope"):
        _status, refused = api.call(
            "post",
            "/customers",
            seller,
            {"name": "Refused GmbH", "tax_mapping_id": wanted},
            expect=422,
        )
        assert refused["error"]["code"] == "core.validation_failed"
        assert list(refused["error"]["details"]["fields"]) == ["tax_mapping_id"]
        _status, refused = api.call(
            "patch", f"/customers/{customer.pk}", seller, {"tax_mapping_id": wanted}, expect=422
        )
        assert refused["error"]["code"] == "core.validation_failed"
        assert list(refused["error"]["details"]["fields"]) == ["tax_mapping_id"]
    assert Customer.objects.for_company(company).count() == customers_before
    version = customer.version
    customer.refresh_from_db()
    assert (customer.tax_mapping_id, customer.version) == (None, version)

    # switched off: no longer given, kept by who has it, then removed with null
    _status, patched = api.call(
        "patch", f"/customers/{customer.pk}", seller, {"tax_mapping_id": export["id"]}, expect=200
    )
    assert patched["tax_mapping_id"] == export["id"]
    api.call("patch", f"/tax-mappings/{export['id']}", boss, {"is_active": False}, expect=200)
    _status, refused = api.call(
        "patch",
        f"/customers/{made['id']}",
        seller,
        {"tax_mapping_id": None},
        expect=200,
    )
    _status, refused = api.call(
        "patch", f"/customers/{made['id']}", seller, {"tax_mapping_id": export["id"]}, expect=422
    )
    assert refused["error"]["details"]["fields"] == {
        "tax_mapping": ["This tax mapping is switched off."]
    }
    _status, kept = api.call(
        "patch", f"/customers/{customer.pk}", seller, {"notes": "exports only"}, expect=200
    )
    assert kept["tax_mapping_id"] == export["id"]
    # a mapping a customer has is not deleted
    _status, refused = api.call("delete", f"/tax-mappings/{export['id']}", boss, expect=409)
    assert refused["error"]["code"] == "catalog.tax_mapping_in_use"
    assert refused["error"]["details"] == {"customers": 1}
    assert TaxMapping.objects.for_company(company).filter(pk=export["id"]).exists()
    _status, cleared = api.call(
        "patch", f"/customers/{customer.pk}", seller, {"tax_mapping_id": None}, expect=200
    )
    assert cleared["tax_mapping_id"] is None
    api.call("delete", f"/tax-mappings/{export['id']}", boss, expect=204)


def test_the_openapi_document_lists_tax_mappings_and_settings(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tax-mappings"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/tax-mappings/{tax_mapping_id}"])
    assert {"get", "patch"} <= set(paths["/api/v1/settings"])
