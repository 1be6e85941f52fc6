"""The report pages through Django's client: who may open them, what they show, exports,
bad input, and query counts that do not grow with the data."""

from __future__ import annotations

import pytest

from ordercrm.analytics import refresh
from ordercrm.core import spreadsheets

pytestmark = pytest.mark.django_db

JANUARY = {"period": "month", "from": "2026-01-01", "to": "2026-02-28"}


@pytest.fixture
def applied(history):
    shop = history[0]
    while refresh.process_company(shop["company"]):
        pass
    return history


def test_pages_render_for_a_manager_and_hide_other_teams(client, applied):
    shop = applied[0]
    people = shop["people"]
    client.force_login(people["manager"])
    page = client.get("/reports/", {**JANUARY, "by": "salesperson", "measure": "booked"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Data as of" in text
    assert people["rep2"].username in text
    assert people["west"].username not in text
    for path, params in (
        ("/reports/pivot/", {**JANUARY, "by": "customer", "columns": "period"}),
        ("/reports/orders/", {**JANUARY, "salesperson": str(people["rep"].pk)}),
        ("/reports/targets/", {}),
        ("/reports/leaderboard/", {"kind": "month", "start": "2026-01-01"}),
        ("/reports/me/", {}),
    ):
        assert client.get(path, params).status_code == 200, path
    drill = client.get("/reports/orders/", {**JANUARY, "salesperson": str(people["west"].pk)})
    assert "SO-" not in drill.content.decode()


def test_rep_sees_own_performance_not_reports(client, applied):
    shop = applied[0]
    client.force_login(shop["people"]["rep"])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/pivot/").status_code == 403
    assert client.get("/reports/export.csv").status_code == 403
    page = client.get("/reports/me/")
    assert page.status_code == 200
    assert client.get("/reports/targets/").status_code == 200


def test_exports_are_scoped_spreadsheets(client, applied):
    shop = applied[0]
    people = shop["people"]
    client.force_login(people["manager"])
    csv = client.get("/reports/export.csv", {**JANUARY, "by": "salesperson", "measure": "booked"})
    body = csv.content.decode("utf-8-sig")
    assert people["rep"].username in body
    assert "980.00" in body  # January 1,180.00, February's return −200.00
    assert people["west"].username not in body
    xlsx = client.get("/reports/pivot/export.xlsx", {**JANUARY, "by": "salesperson"})
    assert xlsx["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    rows = list(spreadsheets.read_xlsx_rows(xlsx.content))
    assert len(rows) == 3  # header, rep, rep2
    appraisal = client.get("/reports/appraisal.csv", {"kind": "month", "start": "2026-01-01"})
    assert people["rep2"].username in appraisal.content.decode("utf-8-sig")


@pytest.mark.parametrize(
    "params",
    [
        {"period": "decade"},
        {"from": "yesterday"},
        {"measure": "<script>"},
        {"salesperson": "x"},
        {"at": "soon"},
    ],
)
def test_bad_input_is_a_clear_422(client, applied, params):
    client.force_login(applied[0]["people"]["admin"])
    for path in ("/reports/", "/reports/pivot/", "/reports/orders/"):
        page = client.get(path, params)
        if path != "/reports/orders/" and ("salesperson" in params or "at" in params):
            continue
        assert page.status_code == 422, (path, params)
        assert 'role="alert"' in page.content.decode()
    assert client.get("/reports/leaderboard/", {"kind": "week"}).status_code == 422


def test_target_form_posts_and_refuses_bad_values(client, applied):
    shop = applied[0]
    people = shop["people"]
    client.force_login(people["manager"])
    made = client.post(
        "/reports/targets/",
        {
            "owner": f"user:{people['rep'].pk}",
            "period_kind": "month",
            "period_start": "2026-01-01",
            "metric": "amount",
            "value": "1500",
        },
    )
    assert made.status_code == 302
    page = client.get("/reports/targets/").content.decode()
    assert "1,500.00" in page
    assert "1,000.00" in page
    bad = client.post(
        "/reports/targets/",
        {"owner": "user:nobody", "period_kind": "month", "period_start": "x", "value": "abc"},
    )
    assert bad.status_code == 422


def test_query_counts_do_not_grow_with_rows(client, applied, django_assert_max_num_queries):
    client.force_login(applied[0]["people"]["admin"])
    for path, params in (
        ("/reports/", {**JANUARY, "by": "customer"}),
        ("/reports/pivot/", {**JANUARY, "by": "product", "columns": "salesperson"}),
        ("/reports/orders/", JANUARY),
        ("/reports/targets/", {}),
        ("/reports/leaderboard/", {}),
        ("/reports/me/", {}),
    ):
        with django_assert_max_num_queries(16):
            assert client.get(path, params).status_code == 200
