"""Tax mappings (#17): create, update and remove through the catalog services; the rules a
customer's order lines take. Refusals assert the code and that nothing changed."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import TaxMapping, TaxMappingRule, TaxRate
from ordercrm.catalog.selectors import tax_mapping_get
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry


@pytest.fixture
def rates(company):
    return {r.rate: r for r in TaxRate.objects.for_company(company)}


@pytest.fixture
def export(company, admin, rates):
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


def test_rules_replaced_audited_with_before_and_after(company, admin, rates, export, access_of):
    catalog.tax_mapping_update(
        mapping=export,
        actor=admin,
        rules=[(rates[Decimal("13")], rates[0]), (rates[Decimal("9")], rates[0])],
    )
    assert _rules(export) == [(Decimal("9"), Decimal("0")), (Decimal("13"), Decimal("0"))]
    entry = AuditEntry.objects.for_company(company).filter(action="update").get()
    before, after = entry.changes["rules"]
    assert len(before) == 1
    assert len(after) == 2
    listed = tax_mapping_get(access_of(admin, company), export.pk)
    assert [r.from_rate.rate for r in listed.loaded_rules] == [Decimal("9"), Decimal("13")]
    # the same rules again are no change: no second entry
    catalog.tax_mapping_update(
        mapping=export,
        actor=admin,
        rules=[(rates[Decimal("9")], rates[0]), (rates[Decimal("13")], rates[0])],
    )
    assert AuditEntry.objects.for_company(company).filter(action="update").count() == 1


def test_an_inactive_rate_is_refused_in_a_new_rule_but_a_kept_rule_may_stay(
    company, admin, rates, export
):
    catalog.tax_rate_update(tax_rate=rates[0], actor=admin, is_active=False)
    with pytest.raises(ValidationFailed) as raised:
        catalog.tax_mapping_update(
            mapping=export,
            actor=admin,
            rules=[(rates[Decimal("13")], rates[0]), (rates[Decimal("9")], rates[0])],
        )
    assert raised.value.details["fields"]["rules"] == ["Rule 2: VAT 0% is inactive."]
    assert _rules(export) == [(Decimal("13"), Decimal("0"))]
    renamed = catalog.tax_mapping_update(
        mapping=export, actor=admin, name="Export (old)", rules=[(rates[Decimal("13")], rates[0])]
    )
    assert renamed.name == "Export (old)"
    assert _rules(export) == [(Decimal("13"), Decimal("0"))]


def test_a_rate_of_another_company_or_not_an_id_is_unknown(
    company, other_company, admin, rates, export
):
    foreign = TaxRate.objects.for_company(other_company).first()
    for rule in ((rates[Decimal("13")], foreign), ("not-an-id", rates[0])):
        with pytest.raises(ValidationFailed) as raised:
            catalog.tax_mapping_update(mapping=export, actor=admin, rules=[rule])
        assert raised.value.details["fields"]["rules"] == ["Rule 1: choose two tax rates."]
    assert _rules(export) == [(Decimal("13"), Decimal("0"))]


def test_only_settings_edit_may_write(company, rep, rates, export):
    with pytest.raises(PermissionDenied):
        catalog.tax_mapping_update(mapping=export, actor=rep, is_active=False)
    with pytest.raises(PermissionDenied):
        catalog.tax_mapping_remove(mapping=export, actor=rep)
    assert TaxMapping.objects.for_company(company).get(pk=export.pk).is_active


def test_a_write_based_on_an_older_version_is_refused_and_changes_nothing(
    company, admin, rates, export
):
    from ordercrm.catalog.services import StaleVersion

    renamed = catalog.tax_mapping_update(mapping=export, actor=admin, name="Export EU", version=1)
    assert renamed.version == 2
    with pytest.raises(StaleVersion) as raised:  # a second tab, read at version 1
        catalog.tax_mapping_update(mapping=export, actor=admin, is_active=False, version=1)
    assert (raised.value.code, raised.value.details) == (
        "catalog.stale_version",
        {"current_version": 2},
    )
    fresh = TaxMapping.objects.for_company(company).get(pk=export.pk)
    assert (fresh.name, fresh.is_active, fresh.version) == ("Export EU", True, 2)
    # what it already is, at any version, is no conflict and writes nothing
    same = catalog.tax_mapping_update(mapping=export, actor=admin, name="Export EU", version=1)
    assert same.version == 2
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(export.pk), action="update")
        .count()
        == 1
    )
