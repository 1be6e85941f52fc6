"""Import pages: upload → columns → preview → confirm → result, the bad files refused on the
upload page with nothing kept, a double confirm applied once, who may import."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ordercrm.accounts.roles import Role
from ordercrm.core.spreadsheets import write_xlsx
from ordercrm.customers.models import Customer
from ordercrm.imports.models import ImportJob, ImportMapping, JobStatus
from ordercrm.imports.tests.conftest import csv_bytes, run_import  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

HEADER = ["客户代码", "客户名称", "信用额度"]
ROWS = [["W-1", "Web One", "100"], ["W-2", "Web Two", ""], ["W-3", "", "x"]]


def _upload(client, content, name="customers.csv", kind="customers"):
    return client.post(
        reverse("import_new"), {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


def test_upload_preview_confirm_result(client, admin, company, django_capture_on_commit_callbacks):
    client.force_login(admin)
    assert reverse("import_list") in client.get(reverse("home")).content.decode()

    response = _upload(client, csv_bytes(HEADER, ROWS))
    job = ImportJob.objects.for_company(company).get()
    assert response.status_code == 302
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="mapping-form"' in page
    assert 'value="code" selected' in page  # 客户代码 suggested as the customer code

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("import_detail", args=[job.pk]),
            {"map-0": "code", "map-1": "name", "map-2": "credit_limit"},
        )
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="confirm"' in page
    assert "Web One" in page
    assert "Credit limit" in page  # the reason of row 4
    assert not Customer.objects.for_company(company).filter(code__startswith="W-").exists()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("import_confirm", args=[job.pk]))
    second = client.post(reverse("import_confirm", args=[job.pk]))  # double click
    assert first.status_code == second.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.APPLIED
    assert job.counts == {"create": 2, "error": 1}
    assert Customer.objects.for_company(company).filter(code__startswith="W-").count() == 2
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="job-result"' in page
    assert 'id="failed-downloads"' in page

    failed = client.get(reverse("import_failed_rows", args=[job.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(failed.content.decode("utf-8-sig"))))
    assert rows[0] == [*HEADER, "Error"]
    assert rows[1][0] == "W-3"
    xlsx = client.get(reverse("import_failed_rows", args=[job.pk, "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("import_failed_rows", args=[job.pk, "pdf"])).status_code == 404

    listing = client.get(reverse("import_list")).content.decode()
    assert "customers.csv" in listing
    assert admin.get_username() in listing
    # the mapping is remembered for the company
    assert (
        ImportMapping.objects.for_company(company).get(kind="customers").mapping["客户代码"]
        == "code"
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "cannot be read"),
        ("data.csv", b"", "The file is empty"),
        ("data.csv", b"\n\n", "cannot be read"),
        ("data.csv", b"a,b\x00\x01", "cannot be read"),
        ("data.xlsx", b"PK\x03\x04 broken", "cannot be read"),
        ("data.csv", csv_bytes(["foo", "bar"], [["1", "2"]]), "None of the file"),
    ],
)
def test_bad_files_refused_on_the_upload_page(client, admin, company, name, content, reason):
    client.force_login(admin)

    response = _upload(client, content, name)

    assert response.status_code == 422
    assert reason in response.content.decode()
    assert not ImportJob.objects.for_company(company).exists()


def test_too_big_and_no_file(client, admin, company, monkeypatch):
    from ordercrm.imports import services

    monkeypatch.setattr(services, "MAX_FILE_BYTES", 100)
    client.force_login(admin)

    response = _upload(client, csv_bytes(HEADER, ROWS * 10))
    assert response.status_code == 422
    assert "larger than 20 MB" in response.content.decode()
    missing = client.post(reverse("import_new"), {"kind": "customers"})
    assert missing.status_code == 422
    assert "Choose a CSV or XLSX file" in missing.content.decode()
    assert not ImportJob.objects.for_company(company).exists()


def test_zh_hans_xlsx_and_a_required_column_left_out(client, admin, company):
    client.force_login(admin)
    content = write_xlsx(["代码", "电话"], [["Z-1", "021"]])
    with translation.override("zh-hans"):
        response = client.post(
            reverse("import_new"),
            {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", content)},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    job = ImportJob.objects.for_company(company).get()
    assert response.status_code == 302
    refused = client.post(
        reverse("import_detail", args=[job.pk]),
        {"map-0": "code", "map-1": "phone"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 422
    assert "名称" in refused.content.decode()  # choose the column of the name
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED


def test_who_may_import(client, make_user, company, admin, other_company):
    rep = make_user(Role.SALES_REP, company, username="rep-i")
    client.force_login(rep)
    assert reverse("import_list") not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("import_list")).status_code == 403
    assert client.get(reverse("import_new")).status_code == 403
    client.force_login(admin)
    assert client.get(reverse("import_detail", args=["not-an-id"])).status_code == 404


def test_pages_cost_a_fixed_number_of_queries(
    client,
    admin,
    company,
    django_assert_max_num_queries,
    run_import,  # noqa: F811
):
    for size in (3, 30):
        job = run_import(
            "customers",
            csv_bytes(["code", "name"], [[f"Y{size}-{i}", f"Y {size} {i}"] for i in range(size)]),
        )
    client.force_login(admin)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("import_list")).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("import_detail", args=[job.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("import_progress", args=[job.pk])).status_code == 200


def test_hostile_input_on_the_import_pages(client, admin, company, run_import):  # noqa: F811
    from ordercrm.web.tests.test_sweep import HOSTILE, _sweep

    previewed = run_import("customers", csv_bytes(HEADER, ROWS), apply=False)
    applied = run_import("customers", csv_bytes(HEADER, ROWS))
    client.force_login(admin)
    _upload(client, csv_bytes(HEADER, ROWS[:1]))  # one waiting for its columns
    client.raise_request_exception = False
    start = [reverse("import_list"), reverse("import_new")]
    start += [
        reverse("import_detail", args=[job.pk])
        for job in ImportJob.objects.for_company(company).order_by("created_at")
    ]
    _pages, forms, _attempts, _results, failures = _sweep(client, start, budget=12)
    for bad in (*HOSTILE, "nope", "00000000-0000-0000-0000-000000000000"):
        for url, params in [
            (f"/imports/{bad}/", None),
            (f"/imports/{bad}/progress", None),
            (f"/imports/{applied.pk}/failed.{bad}", None),
            (reverse("import_detail", args=[applied.pk]), {"action": bad, "page": bad}),
            (reverse("import_detail", args=[previewed.pk]), {"columns": bad}),
            (reverse("import_list"), {"page": bad}),
        ]:
            response = client.get(url, params)
            if response.status_code >= 500:
                failures.append(("GET", url, repr(params)))
    assert len(forms) >= 4
    assert failures == []


def test_progress_bar_polls_while_running_and_reloads_when_done(client, admin, company):
    client.force_login(admin)
    _upload(client, csv_bytes(HEADER, ROWS))
    job = ImportJob.objects.for_company(company).get()
    ImportJob.objects.for_company(company).filter(pk=job.pk).update(
        status=JobStatus.APPLYING, processed_rows=1
    )

    running = client.get(reverse("import_progress", args=[job.pk]))
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()

    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert 'value="33"' in running.content.decode()  # 1 of 3 rows
    assert "HX-Refresh" not in running
    assert 'id="import-bar"' in page
    assert 'id="confirm"' not in page
    ImportJob.objects.for_company(company).filter(pk=job.pk).update(status=JobStatus.APPLIED)
    done = client.get(reverse("import_progress", args=[job.pk]))
    assert done["HX-Refresh"] == "true"
    assert "hx-trigger" not in done.content.decode()
