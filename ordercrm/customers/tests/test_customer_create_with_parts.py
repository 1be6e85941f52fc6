"""A customer created with its first contacts and addresses in one call."""

import pytest

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.customers import services
from ordercrm.customers.models import Address, Contact, Customer

pytestmark = pytest.mark.django_db


def test_first_contact_is_primary_and_first_address_of_each_kind_default(company, admin):
    customer = services.customer_create(
        company=company,
        actor=admin,
        name="Parts Co",
        contacts=[{"name": "Li"}, {"name": "Wang", "is_primary": True}, {"name": "Zhao"}],
        addresses=[
            {"kind": "shipping", "line1": "1 Road", "city": "Wuxi"},
            {"kind": "shipping", "line1": "2 Road", "city": "Wuxi"},
            {"kind": "billing", "line1": "3 Road", "city": "Suzhou", "is_default": False},
        ],
    )

    contacts = {c.name: c.is_primary for c in customer.contacts.all()}
    assert contacts == {"Li": False, "Wang": True, "Zhao": False}
    addresses = {a.line1: a.is_default for a in customer.addresses.all()}
    assert addresses == {"1 Road": True, "2 Road": False, "3 Road": True}
    entry = AuditEntry.objects.for_company(company).get(entity_id=customer.pk, action="create")
    assert "contact:Wang" in entry.changes
    assert "address:billing" in entry.changes


def test_a_bad_contact_or_address_writes_nothing_and_names_its_column(company, admin):
    with pytest.raises(ValidationFailed) as refused:
        services.customer_create(
            company=company,
            actor=admin,
            name="Broken Co",
            contacts=[{"name": "Li", "email": "not-an-email"}],
            addresses=[{"kind": "shipping", "line1": "", "city": "Wuxi"}],
        )

    fields = refused.value.details["fields"]
    assert set(fields) == {"contact_email", "shipping_line1"}
    assert not Customer.objects.for_company(company).filter(name="Broken Co").exists()
    assert not Contact.objects.for_company(company).exists()
    assert not Address.objects.for_company(company).exists()
