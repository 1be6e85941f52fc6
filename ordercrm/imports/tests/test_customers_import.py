"""Customers with contacts and addresses: good, bad and duplicate rows, re-import, GBK."""

from decimal import Decimal

import pytest
from django.utils import translation

from ordercrm.core.models import AuditEntry
from ordercrm.customers.models import Address, Contact, Customer
from ordercrm.imports.models import JobStatus
from ordercrm.imports.tests.conftest import csv_bytes, outcomes

pytestmark = pytest.mark.django_db

HEADER = ["客户代码", "客户名称", "电话", "信用额度", "联系人", "收货地址", "收货城市"]
ROWS = [
    ["C-1", "上海明达", "021-1", "5000", "李雷", "人民路1号", "上海"],
    ["C-2", "Beijing Star", "010-2", "", "", "", ""],
    ["C-3", "", "010-3", "abc", "", "", ""],  # no name, credit limit not a number
]


def test_preview_writes_nothing_then_apply_creates(company, run_import):
    job = run_import("customers", csv_bytes(HEADER, ROWS), apply=False)

    assert job.counts == {"create": 2, "error": 1}
    assert Customer.objects.for_company(company).filter(code__startswith="C-").count() == 0
    assert outcomes(job)[2][1] == "error"
    assert "Credit limit" in outcomes(job)[2][2]

    job = run_import("customers", csv_bytes(HEADER, ROWS))

    assert job.status == JobStatus.APPLIED
    assert job.counts == {"create": 2, "error": 1}
    first = Customer.objects.for_company(company).get(code="C-1")
    assert first.credit_limit == Decimal("5000")
    assert Contact.objects.for_company(company).get(customer=first).name == "李雷"
    address = Address.objects.for_company(company).get(customer=first)
    assert (address.kind, address.city, address.is_default) == ("shipping", "上海", True)
    assert not Customer.objects.for_company(company).filter(code="C-3").exists()
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(first.pk), source="import")
        .exists()
    )
    assert (
        AuditEntry.objects.for_company(company)
        .filter(entity_id=str(job.pk), action="apply")
        .exists()
    )


def _row_audit(company) -> int:
    return (
        AuditEntry.objects.for_company(company).exclude(entity_type__startswith="imports").count()
    )


def test_the_same_file_twice_changes_nothing(company, run_import):
    content = csv_bytes(HEADER, ROWS[:2])
    run_import("customers", content)
    before = _row_audit(company)

    again = run_import("customers", content)

    assert again.counts == {"unchanged": 2}
    assert Customer.objects.for_company(company).filter(code__startswith="C-").count() == 2
    assert _row_audit(company) == before  # nothing was written for the rows
    assert Contact.objects.for_company(company).count() == 1


def test_changed_row_updates_by_code(company, run_import):
    run_import("customers", csv_bytes(HEADER, ROWS[:2]))
    changed = [["C-2", "Beijing Star Ltd", "010-2", "", "", "", ""]]

    job = run_import("customers", csv_bytes(HEADER, changed))

    assert job.counts == {"update": 1}
    assert Customer.objects.for_company(company).get(code="C-2").name == "Beijing Star Ltd"


def test_duplicate_rows_and_existing_name_are_errors(company, run_import, make_customer):
    make_customer(company, name="Existing Co", code="OLD-1")
    rows = [
        ["D-1", "New One", "", "", "", "", ""],
        ["D-1", "New One again", "", "", "", "", ""],  # same code twice in the file
        ["D-2", "Existing Co", "", "", "", "", ""],  # same name as another customer
    ]

    job = run_import("customers", csv_bytes(HEADER, rows))

    actions = [a for _n, a, _m in outcomes(job)]
    assert actions == ["create", "error", "error"]
    assert "OLD-1" in outcomes(job)[2][2]
    assert Customer.objects.for_company(company).get(code="D-1").name == "New One"


def test_gbk_file_is_read(company, run_import):
    job = run_import("customers", csv_bytes(HEADER, ROWS[:1], encoding="gbk"))

    assert job.encoding == "gb18030"
    assert Customer.objects.for_company(company).get(code="C-1").name == "上海明达"


def test_reasons_in_the_uploaders_language(company, run_import):
    with translation.override("zh-hans"):
        job = run_import("customers", csv_bytes(HEADER, ROWS[2:]), apply=False)

    assert "信用额度" in outcomes(job)[0][2]
