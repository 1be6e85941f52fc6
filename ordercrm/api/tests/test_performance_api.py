"""Sales performance over the API: an order's credit splits, targets with attainment and the
leaderboard, on the hand-computed history of ``analytics/tests/conftest.py`` (January: A
1,000.00 rep; B USD 100.00 = 710.00 west; C 300.00 split 60 / 40 rep / rep2; February:
200.00 of A returned and credited)."""

from __future__ import annotations

import pytest

from ordercrm.analytics import refresh
from ordercrm.analytics.models import CreditSplit, SalesTarget
from ordercrm.analytics.tests.conftest import history, shop  # noqa: F401 (fixtures)
from ordercrm.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(history):  # noqa: F811
    while refresh.process_company(history[0]["company"]):
        pass
    return history


def test_credit_splits_read_set_and_refused(call, applied):
    shop_, a, _b, c = applied
    people = shop_["people"]
    manager, rep, rep2 = people["manager"], people["rep"], people["rep2"]
    status, body = call(manager, "get", f"/orders/{c.pk}/credit-splits")
    assert status == 200
    assert body["salesperson_id"] == str(rep.pk)
    assert [(s["salesperson_id"], s["percent"]) for s in body["shares"]] == [
        (str(rep.pk), "60"),
        (str(rep2.pk), "40"),
    ]
    assert call(manager, "get", f"/orders/{a.pk}/credit-splits")[1]["shares"] == []

    # shares that do not add up to 100: refused with the total, nothing changed
    status, body = call(
        manager,
        "put",
        f"/orders/{c.pk}/credit-splits",
        {
            "shares": [
                {"salesperson": str(rep.pk), "percent": "70"},
                {"salesperson": str(rep2.pk), "percent": "20"},
            ]
        },
    )
    assert (status, body["error"]["code"]) == (422, "analytics.split_not_whole")
    assert body["error"]["details"]["total"] == "90"
    # the same person twice, an unknown one: each named under its share
    status, body = call(
        manager,
        "put",
        f"/orders/{c.pk}/credit-splits",
        {
            "shares": [
                {"salesperson": str(rep.pk), "percent": "50"},
                {"salesperson": str(rep.pk), "percent": "50"},
                {"salesperson": "not-a-user", "percent": "10"},
            ]
        },
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    fields = body["error"]["details"]["fields"]
    assert {"shares.1.salesperson", "shares.2.salesperson"} <= fields.keys()
    # a rep may not share credit
    status, body = call(rep, "put", f"/orders/{c.pk}/credit-splits", {"shares": []})
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    assert sorted(
        CreditSplit.objects.for_company(c.company_id).filter(order=c).values_list("percent")
    ) == [(40,), (60,)]

    status, body = call(
        manager,
        "put",
        f"/orders/{c.pk}/credit-splits",
        {
            "shares": [
                {"salesperson": str(rep.pk), "percent": "50"},
                {"salesperson": str(rep2.pk), "percent": "50"},
            ]
        },
    )
    assert status == 200
    assert [s["percent"] for s in body["shares"]] == ["50", "50"]
    assert (
        AuditEntry.objects.for_company(c.company_id)
        .filter(entity_id=c.pk, action="credit_split")
        .count()
        == 2
    )
    status, body = call(manager, "put", f"/orders/{c.pk}/credit-splits", {"shares": []})
    assert (status, body["shares"]) == (200, [])


def test_targets_created_read_changed_and_removed(call, applied):
    shop_ = applied[0]
    people = shop_["people"]
    manager, rep, west = people["manager"], people["rep"], people["west"]
    new = {
        "salesperson": str(rep.pk),
        "period_kind": "month",
        "period_start": "2026-01-15",
        "value": "1500",
    }
    status, target = call(manager, "post", "/targets", new)
    assert status == 201, target
    # moved to the month's first day; invoiced basis: January's A, 1,000.00 of 1,500
    assert (target["period_start"], target["period_end"]) == ("2026-01-01", "2026-01-31")
    assert (target["basis"], target["actual"], target["percent"]) == ("invoiced", "1000.00", "66.7")
    # January 2026 is over: no elapsed share, and on pace is judged on the whole period
    assert target["elapsed_percent"] is None

    status, body = call(manager, "post", "/targets", new)
    assert (status, body["error"]["code"]) == (409, "analytics.target_exists")
    status, body = call(manager, "post", "/targets", {**new, "team": str(shop_["east"].pk)})
    assert (status, body["error"]["code"]) == (
        422,
        "core.validation_failed",
    )  # a salesperson or a team, not both
    assert call(rep, "post", "/targets", {**new, "period_start": "2026-02-01"})[0] == 403
    assert SalesTarget.objects.for_company(shop_["company"]).count() == 1

    # the rep sees their own; a rep of another team sees none of it
    assert [t["id"] for t in call(rep, "get", "/targets")[1]] == [target["id"]]
    assert call(west, "get", "/targets")[1] == []
    assert call(west, "get", f"/targets/{target['id']}")[0] == 404
    assert call(manager, "get", "/targets?on=2026-02-10")[1] == []

    # a change with the version; a stale version changes nothing
    path = f"/targets/{target['id']}"
    status, changed = call(manager, "patch", path, {"value": "1000", "version": target["version"]})
    assert (status, changed["percent"], changed["version"]) == (200, "100", target["version"] + 1)
    status, body = call(manager, "patch", path, {"value": "9", "version": target["version"]})
    assert (status, body["error"]["code"]) == (409, "core.conflict")
    assert call(manager, "get", path)[1]["value"] == "1000"

    assert call(rep, "delete", path)[0] == 403
    assert call(manager, "delete", path)[0] == 204
    assert call(manager, "get", path)[0] == 404


def test_leaderboard_by_period_and_scope(call, applied):
    shop_ = applied[0]
    people = shop_["people"]
    status, board = call(people["admin"], "get", "/performance/leaderboard?on=2026-01-20")
    assert status == 200
    assert (board["first"], board["last"], board["basis"]) == (
        "2026-01-01",
        "2026-01-31",
        "invoiced",
    )
    by_name = {row["name"]: row for row in board["standings"]}
    assert by_name[people["rep"].username]["booked"] == "1180.00"  # 1,000 + 60 % of 300
    assert by_name[people["west"].username]["invoiced"] == "710.00"
    assert [row["rank"] for row in board["standings"]] == list(range(1, len(by_name) + 1))
    status, east = call(people["manager"], "get", "/performance/leaderboard?on=2026-01-20")
    assert {row["name"] for row in east["standings"]} == {
        people["rep"].username,
        people["rep2"].username,
    }
    status, body = call(people["admin"], "get", "/performance/leaderboard?on=January")
    assert (status, list(body["error"]["details"]["fields"])) == (422, ["on"])
