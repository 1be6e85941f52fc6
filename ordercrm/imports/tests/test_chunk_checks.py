"""The checks of a chunk's rows cost a fixed number of look-ups, with every outcome exact."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ordercrm.customers.models import Customer
from ordercrm.imports.tests.conftest import csv_bytes, outcomes

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "phone", "contact_name", "contact_phone", "contact_email"]


def _customer_reads(queries) -> int:
    return sum(
        1
        for q in queries
        if q["sql"].startswith("SELECT") and 'FROM "customers_customer"' in q["sql"]
    )


@pytest.mark.parametrize("size", [10, 60])
def test_customer_reads_do_not_grow_with_rows(company, run_import, size):
    rows = [[f"Q-{i}", f"Name {i}", f"139{i:08d}", "", "", ""] for i in range(size)]

    with CaptureQueriesContext(connection) as queries:
        job = run_import("customers", csv_bytes(HEADER, rows), apply=False)

    assert job.counts == {"create": size}
    assert _customer_reads(queries.captured_queries) <= 6


def test_duplicates_inside_one_chunk_and_a_failed_row_forgotten(company, run_import, make_customer):
    make_customer(company, name="Old Co", code="OLD-9", phone="021-555")
    rows = [
        ["N-1", "Alpha", "", "Li", "0755-1", ""],
        ["N-2", "alpha ", "", "", "", ""],  # same name as the row above, other case
        ["N-3", "Beta", "0755-1", "", "", ""],  # the phone of row 1's contact
        ["N-4", "Gamma", "021-555", "", "", ""],  # the phone of a customer in the database
        ["N-5", "Delta", "", "Wu", "", "not-an-email"],  # fails on its contact
        ["N-6", "Delta", "", "", "", ""],  # so this one is no duplicate
        ["n-1", "Epsilon", "", "", "", ""],  # code of row 1, other case
    ]

    job = run_import("customers", csv_bytes(HEADER, rows))

    actions = [a for _n, a, _m in outcomes(job)]
    assert actions == ["create", "error", "error", "error", "error", "create", "error"]
    assert "N-1" in outcomes(job)[1][2]
    assert "OLD-9" in outcomes(job)[3][2]
    codes = set(Customer.objects.for_company(company).values_list("code", flat=True))
    assert {"N-1", "N-6"} <= codes
    assert not codes & {"N-2", "N-3", "N-4", "N-5", "n-1"}


def test_preview_and_apply_agree_across_chunks(company, run_import, monkeypatch):
    from ordercrm.imports import services

    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    rows = [
        ["X-1", "Xi", "", "", "", ""],
        ["X-2", "Omicron", "0571-9", "", "", ""],
        ["x-1", "Xi again", "", "", "", ""],  # chunk 2: the code of row 2
        ["", "omicron", "", "", "", ""],  # chunk 2: the name of row 3 (no code: numbered)
        ["X-5", "Pi", "0571-9", "", "", ""],  # chunk 3: the phone of row 3
    ]
    expected = ["create", "create", "error", "error", "error"]

    preview = run_import("customers", csv_bytes(HEADER, rows), apply=False)
    assert [a for _n, a, _m in outcomes(preview)] == expected
    assert "row 2" in outcomes(preview)[2][2]
    assert "X-2" in outcomes(preview)[3][2]  # named: the uploader's own, though rolled back

    applied = run_import("customers", csv_bytes(HEADER, rows))
    assert [a for _n, a, _m in outcomes(applied)] == expected
    assert Customer.objects.for_company(company).filter(code__istartswith="X-").count() == 2


ADDRESSED = [*HEADER, "shipping_line1", "shipping_city", "billing_line1", "billing_city"]


@pytest.mark.parametrize("size", [10, 60])
def test_a_new_customer_row_costs_its_inserts_only(company, run_import, size):
    """A created row writes the customer, its contact, its two addresses (one insert each),
    one audit entry and one event: no look-up or lock per row, however long the file."""
    rows = [
        [f"Z-{i}", f"Zeta {i}", "", f"Li {i}", "", "", f"Road {i}", "Wuxi", f"Lane {i}", "Wuxi"]
        for i in range(size)
    ]

    with CaptureQueriesContext(connection) as queries:
        job = run_import("customers", csv_bytes(ADDRESSED, rows))

    assert job.counts == {"create": size}
    # the preview and the apply each run every row
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 2 * 5 * size + 60
    customer = Customer.objects.for_company(company).get(code="Z-3")
    assert [c.is_primary for c in customer.contacts.all()] == [True]
    assert sorted((a.kind, a.is_default) for a in customer.addresses.all()) == [
        ("billing", True),
        ("shipping", True),
    ]


def test_a_file_repeating_a_code_after_a_failed_row_changes_nothing_the_second_time(
    company, run_import, make_customer
):
    make_customer(company, name="Old Co", code="OLD-1", phone="021-777")
    rows = [
        ["R-1", "Old Co", "", "", "", ""],  # refused: the name of OLD-1
        ["R-1", "Rho", "", "", "", ""],  # the same code again: the first row owns it
        ["R-3", "Sigma", "", "", "", ""],
    ]

    first = run_import("customers", csv_bytes(HEADER, rows))
    second = run_import("customers", csv_bytes(HEADER, rows))

    assert [a for _n, a, _m in outcomes(first)] == ["error", "error", "create"]
    assert "row 2" in outcomes(first)[1][2]
    assert [a for _n, a, _m in outcomes(second)] == ["error", "error", "unchanged"]
    assert not Customer.objects.for_company(company).filter(code="R-1").exists()
