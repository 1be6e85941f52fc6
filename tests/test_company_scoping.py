import pytest

from ordercrm.core import audit
from ordercrm.core.context import change_source
from ordercrm.core.exceptions import UnscopedQuery
from ordercrm.core.models import AuditEntry
from ordercrm.customers.models import Customer


def test_querying_a_company_model_without_a_company_fails_loudly(company):
    with pytest.raises(UnscopedQuery):
        list(Customer.objects.filter(name="x"))
    with pytest.raises(UnscopedQuery):
        Customer.objects.count()
    with pytest.raises(UnscopedQuery):
        Customer.objects.exists()
    with pytest.raises(UnscopedQuery):
        Customer.objects.update(name="y")
    with pytest.raises(UnscopedQuery):
        Customer.objects.all().delete()
    assert list(Customer.objects.for_company(company).filter(name="x")) == []
    assert Customer.objects.unscoped().count() == 0


def test_scope_survives_chaining(company, make_customer):
    make_customer(company, name="Kept")
    chained = (
        Customer.objects.for_company(company)
        .filter(name="Kept")
        .order_by("code")
        .select_related("owner")
    )
    assert [c.name for c in chained] == ["Kept"]


def test_audit_entries_are_append_only_and_record_the_source(company, admin, make_customer):
    customer = make_customer(company)
    with change_source("api"):
        entry = audit.record(
            actor=admin, entity=customer, action="test", changes={"name": ["a", "b"]}
        )
    assert entry.source == "api"
    assert entry.actor == admin
    entry.action = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.for_company(company).get(pk=entry.pk).action == "test"


def test_diff_lists_only_changed_fields():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
