"""A customer's tax mapping (#17): only an active mapping of its company may be given (one
switched off stays with the customers who had it), and a mapping a customer has cannot be
removed. Refusals assert the code and that nothing changed."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import TaxMapping, TaxMappingRule, TaxRate
from ordercrm.catalog.selectors import tax_mapping_list
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.customers import services as customers


@pytest.fixture
def export(company, admin):
    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    return catalog.tax_mapping_create(
        company=company, actor=admin, name="Export", rules=[(rates[Decimal("13")], rates[0])]
    )


def _rules(mapping):
    return sorted(
        (r.from_rate.rate, r.to_rate.rate)
        for r in TaxMappingRule.objects.for_company(mapping.company_id)
        .filter(mapping=mapping)
        .select_related("from_rate", "to_rate")
    )


def test_remove_refused_while_a_customer_has_it_then_allowed(
    company, admin, rep, make_customer, export
):
    buyer = customers.customer_update(
        customer=make_customer(company, actor=rep, name="Hamburg"), actor=None, tax_mapping=export
    )
    with pytest.raises(catalog.TaxMappingInUse) as raised:
        catalog.tax_mapping_remove(mapping=export, actor=admin)
    assert raised.value.code == "catalog.tax_mapping_in_use"
    assert raised.value.details == {"customers": 1}
    assert _rules(export) == [(Decimal("13"), Decimal("0"))]
    customers.customer_update(customer=buyer, actor=None, tax_mapping=None)
    catalog.tax_mapping_remove(mapping=export, actor=admin)
    assert not TaxMapping.objects.for_company(company).exists()
    assert not TaxMappingRule.objects.for_company(company).exists()
    entry = AuditEntry.objects.for_company(company).get(action="delete")
    assert entry.entity_id == str(export.pk)
    assert entry.changes["name"] == ["Export", None]


def test_a_customer_gets_only_an_active_mapping_of_its_company(
    company, other_company, admin, rep, customer, make_user, export, access_of
):
    from ordercrm.accounts.roles import Role

    other_admin = make_user(Role.ADMIN, other_company)
    foreign = catalog.tax_mapping_create(company=other_company, actor=other_admin, name="Export")
    with pytest.raises(ValidationFailed) as raised:
        customers.customer_update(customer=customer, actor=rep, tax_mapping=foreign)
    assert raised.value.details["fields"]["tax_mapping"] == ["Not in this company."]
    catalog.tax_mapping_update(mapping=export, actor=admin, is_active=False)
    with pytest.raises(ValidationFailed) as raised:
        customers.customer_update(customer=customer, actor=rep, tax_mapping=export)
    assert raised.value.details["fields"]["tax_mapping"] == ["This tax mapping is switched off."]
    version = customer.version
    customer.refresh_from_db()
    assert (customer.tax_mapping_id, customer.version) == (None, version)
    # a customer who had it before it was switched off keeps it through other edits
    catalog.tax_mapping_update(mapping=export, actor=admin, is_active=True)
    customers.customer_update(customer=customer, actor=rep, tax_mapping=export)
    catalog.tax_mapping_update(mapping=export, actor=admin, is_active=False)
    customer.refresh_from_db()
    kept = customers.customer_update(
        customer=customer, actor=rep, tax_mapping=export, notes="still exporting"
    )
    assert kept.tax_mapping_id == export.pk
    listed = tax_mapping_list(access_of(admin, company), include_inactive=False)
    assert export.pk not in [m.pk for m in listed]
