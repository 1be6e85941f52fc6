"""``ordercrm import KIND FILE``: the same job as the wizard's, run at once from the console."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from ordercrm.customers.models import Customer
from ordercrm.imports.models import ImportJob, JobStatus
from ordercrm.imports.tests.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["客户代码", "客户名称", "信用额度"]
ROWS = [["K-1", "Kappa", "100"], ["K-2", "", "-3"]]


def _run(*args):
    out = io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_dry_run_writes_nothing(company, admin, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes(HEADER, ROWS[:1]))

    code, out = _run(
        "customers", str(path), "--company", company.code, "--user", admin.username, "--dry-run"
    )

    assert code == 0, out
    assert "dry run: create 1" in out
    assert not Customer.objects.for_company(company).filter(code="K-1").exists()
    assert ImportJob.objects.for_company(company).get().status == JobStatus.PREVIEWED


def test_apply_with_failed_rows_file_and_exit_code(company, admin, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, *ROWS]), encoding="utf-8")

    code, out = _run("customers", str(path), "--company", company.code, "--user", admin.username)

    assert code == 1
    assert "imported: create 1, update 0, unchanged 0, error 1" in out
    assert Customer.objects.for_company(company).get(code="K-1").name == "Kappa"
    failed = tmp_path / "customers-failed.csv"
    assert f"failed rows: {failed}" in out
    rows = list(csv.reader(io.StringIO(failed.read_text("utf-8-sig"))))
    assert rows[0] == [*HEADER, "Error"]
    assert rows[1][:3] == ["K-2", "", "-3"]  # as uploaded, a number stays a number
    assert "Name" in rows[1][3]
    job = ImportJob.objects.for_company(company).get()
    assert (job.status, job.applied_by) == (JobStatus.APPLIED, admin)

    path.write_bytes(csv_bytes(HEADER, ROWS[:1]))
    assert _run("customers", str(path), "--company", company.code, "--user", admin.username)[0] == 0


def test_mapping_and_bad_input_exit_two(company, admin, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(["who", "label"], [["M-1", "Mu"]]))
    args = ["customers", str(path), "--company", company.code, "--user", admin.username]

    code, out = _run(*args)
    assert code == 2  # no column feeds the name
    assert "Name" in out

    code, out = _run(*args, "--map", "who=code", "--map", "label=name")
    assert code == 0, out
    assert Customer.objects.for_company(company).get(code="M-1").name == "Mu"

    assert _run("customers", str(tmp_path / "missing.csv"), "--user", admin.username)[0] == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert (
        _run("customers", str(empty), "--company", company.code, "--user", admin.username)[0] == 2
    )
