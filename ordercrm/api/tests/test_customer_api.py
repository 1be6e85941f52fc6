"""Customer writes over the API: contacts and addresses PATCH/DELETE, deactivate /
reactivate, merge preview and merge, with their refusals."""

import json

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.customers.models import Address, Customer


@pytest.fixture
def call(client):
    def do(method, path, user, body=None, **headers):
        _token, raw = token_create(user=user, name="test")
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/v1{path}", **kwargs)
        return response.status_code, response.json()

    return do


def test_contact_patch_and_remove(call, rep, customer):
    base = f"/customers/{customer.pk}/contacts"
    status, added = call("post", base, rep, {"name": "Wang Fang", "phone": "139"})
    assert status == 201
    status, body = call(
        "patch", f"{base}/{added['id']}", rep, {"is_primary": True, "title": "Buyer"}
    )
    assert status == 200
    assert (body["is_primary"], body["title"]) == (True, "Buyer")
    status, body = call("patch", f"{base}/{added['id']}", rep, {"is_primary": False})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "is_primary" in body["error"]["details"]["fields"]
    status, body = call("patch", f"{base}/{added['id']}", rep, {"colour": "red"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call("delete", f"{base}/{added['id']}", rep)
    assert (status, body["is_active"]) == (200, False)
    status, listed = call("get", base, rep)
    assert [c["name"] for c in listed] == ["Li Lei"]
    assert listed[0]["is_primary"]
    status, _body = call("patch", f"{base}/not-an-id", rep, {"title": "x"})
    assert (status, _body["error"]["code"]) == (404, "core.not_found")


def test_address_patch_default_and_remove(call, rep, customer, company):
    base = f"/customers/{customer.pk}/addresses"
    status, added = call(
        "post", base, rep, {"kind": "shipping", "line1": "3 Lake Rd", "city": "Suzhou"}
    )
    assert (status, added["is_default"]) == (201, False)
    status, body = call("patch", f"{base}/{added['id']}", rep, {"is_default": True})
    assert (status, body["is_default"]) == (200, True)
    defaults = Address.objects.for_company(company).filter(customer=customer, kind="shipping")
    assert defaults.filter(is_default=True).count() == 1
    status, body = call("patch", f"{base}/{added['id']}", rep, {"line1": ""})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call("delete", f"{base}/{added['id']}", rep)
    assert status == 200
    assert defaults.get(is_default=True).city == "Ningbo"


def test_deactivate_reactivate_with_version(call, rep, make_user, company, customer):
    path = f"/customers/{customer.pk}"
    status, body = call("post", f"{path}/deactivate", rep, {"reason": ""})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call("post", f"{path}/deactivate", rep, {"reason": "Closed", "version": 9})
    assert (status, body["error"]["code"]) == (409, "customers.stale_version")
    status, body = call("post", f"{path}/deactivate", rep, {"reason": "Closed"}, if_match='"1"')
    assert (status, body["is_active"], body["inactive_reason"]) == (200, False, "Closed")
    status, listed = call("get", "/customers?status=inactive", rep)
    assert [c["id"] for c in listed["items"]] == [str(customer.pk)]
    viewer = make_user(Role.VIEWER, company)
    status, _body = call("post", f"{path}/reactivate", viewer, {})
    assert (status, _body["error"]["code"]) == (403, "core.permission_denied")
    status, body = call("post", f"{path}/reactivate", rep, {})
    assert (status, body["is_active"]) == (200, True)


def test_merge_preview_and_merge(call, rep, manager, make_customer, make_user, company, customer):
    duplicate = make_customer(company, actor=rep, name="Mingda dup")
    path = f"/customers/{duplicate.pk}"
    status, body = call("get", f"{path}/merge-preview?survivor_id={customer.pk}", manager)
    assert status == 200
    assert {m["key"]: m["count"] for m in body["moves"]}["orders"] == 0
    assert body["problem"] is None
    status, body = call("post", f"{path}/merge", rep, {"survivor_id": str(customer.pk)})
    assert status == 403
    status, body = call("post", f"{path}/merge", manager, {"survivor_id": str(duplicate.pk)})
    assert (status, body["error"]["code"]) == (422, "customers.merge_refused")
    status, body = call("post", f"{path}/merge", manager, {"survivor_id": str(customer.pk)})
    assert (status, body["id"]) == (200, str(customer.pk))
    merged = Customer.objects.for_company(company).get(pk=duplicate.pk)
    assert (merged.is_active, merged.merged_into_id) == (False, customer.pk)
    status, body = call("get", path, manager)
    assert body["merged_into_id"] == str(customer.pk)
    # a survivor outside the caller's company or scope is not found
    stranger = make_user(Role.SALES_MANAGER, company)
    status, _body = call("post", f"{path}/merge", stranger, {"survivor_id": str(customer.pk)})
    assert (status, _body["error"]["code"]) == (404, "core.not_found")
