"""Customer and contact emails are validated on every write path (create, update, contact,
API): a bad address is refused with a field error and nothing changes."""

from __future__ import annotations

import json

import pytest

from ordercrm.accounts.tokens import token_create
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.customers import services
from ordercrm.customers.models import Contact, Customer

BAD = [
    "not-an-email",
    "a@b",
    "a@@mingda.example",
    "li lei@mingda.example",
    "buyer@mingda.example\nBcc: all@rivals.example",
    "buyer@mingda.example,other@rivals.example",
    "<buyer@mingda.example>",
    "@mingda.example",
]


def counts(company):
    return (
        Customer.objects.for_company(company).count(),
        Contact.objects.for_company(company).count(),
        AuditEntry.objects.for_company(company).count(),
        Event.objects.for_company(company).count(),
    )


def refused(call, company):
    before = counts(company)
    with pytest.raises(ValidationFailed) as raised:
        call()
    assert raised.value.code == "core.validation_failed"
    assert raised.value.details["fields"]["email"] == ["Enter a valid email address."]
    assert counts(company) == before


@pytest.mark.parametrize("email", BAD)
def test_every_service_path_refuses_a_bad_email(company, admin, customer, email):
    refused(
        lambda: services.customer_create(
            company=company, actor=admin, name="New Co", email=email, allow_duplicate=True
        ),
        company,
    )
    version = Customer.objects.for_company(company).get(pk=customer.pk).version
    refused(lambda: services.customer_update(customer=customer, actor=admin, email=email), company)
    assert Customer.objects.for_company(company).get(pk=customer.pk).version == version
    refused(
        lambda: services.contact_add(
            customer=customer, actor=admin, name="Han Meimei", email=email
        ),
        company,
    )


def test_good_emails_are_kept_trimmed_and_empty_is_allowed(company, admin, customer):
    made = services.customer_create(
        company=company, actor=admin, name="New Co", email="  buyer@new.example "
    )
    assert made.email == "buyer@new.example"
    assert services.customer_update(customer=made, actor=admin, email="").email == ""
    contact = services.contact_add(
        customer=customer, actor=admin, name="Han Meimei", email="han@mingda.example"
    )
    assert contact.email == "han@mingda.example"
    assert services.contact_add(customer=customer, actor=admin, name="No Mail").email == ""


def test_the_api_refuses_a_bad_email_with_422(client, company, admin, customer):
    _token, raw = token_create(user=admin)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = counts(company)
    for method, path, body in [
        ("post", "/api/v1/customers", {"name": "New Co", "email": "a@b"}),
        ("patch", f"/api/v1/customers/{customer.pk}", {"email": "a@b"}),
        ("post", f"/api/v1/customers/{customer.pk}/contacts", {"name": "X", "email": "a@b"}),
    ]:
        response = getattr(client, method)(
            path, json.dumps(body), content_type="application/json", **auth
        )
        assert response.status_code == 422, (path, response.content)
        error = response.json()["error"]
        assert error["code"] == "core.validation_failed"
        assert "email" in error["details"]["fields"]
    assert counts(company) == before
