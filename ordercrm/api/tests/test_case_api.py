"""The case API: create with order lines, ETag / If-Match, actions as endpoints, comments,
Idempotency-Key replays, refusals in the error shape that change nothing, and scoping."""

import json
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.sales import services as sales
from ordercrm.service.models import Case, CaseComment


@pytest.fixture
def agent(make_user, company, team):
    return make_user(Role.SUPPORT, company, username="agent", team=team)


@pytest.fixture
def call(client):
    tokens = {}

    def do(user, method, path, body=None, **headers):
        if user.pk not in tokens:
            tokens[user.pk] = token_create(user=user, name="t")[1]
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = getattr(client, method)(
            f"/api/v1{path}",
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}",
            **extra,
        )
        return response

    return do


@pytest.fixture
def order(make_order, rep):
    return sales.order_submit(order=make_order(), actor=rep)


def body_for(order, quantity="1"):
    line = order.lines.order_by("position").first()
    return {
        "customer_id": str(order.customer_id),
        "order_id": str(order.pk),
        "subject": "Scratched",
        "priority": "high",
        "lines": [{"order_line_id": str(line.pk), "quantity": quantity}],
    }


def test_create_read_act_and_comment(call, agent, order, django_assert_max_num_queries):
    created = call(agent, "post", "/cases", body_for(order), **{"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["number"].startswith("CS-")
    assert case["status"] == "new"
    assert case["lines"][0]["quantity"] == "1"
    assert created["ETag"] == '"1"'
    replay = call(agent, "post", "/cases", body_for(order), **{"Idempotency-Key": "k1"})
    assert replay.status_code == 201
    assert replay.json()["id"] == case["id"]
    clash = call(agent, "post", "/cases", body_for(order, "2"), **{"Idempotency-Key": "k1"})
    assert clash.status_code == 409
    assert Case.objects.for_company(agent.memberships.get().company).count() == 1

    with django_assert_max_num_queries(12):
        got = call(agent, "get", f"/cases/{case['id']}")
    assert got.status_code == 200
    assert got["ETag"] == '"1"'
    started = call(agent, "post", f"/cases/{case['id']}/start", {}, **{"If-Match": '"1"'})
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    stale = call(agent, "post", f"/cases/{case['id']}/wait", {}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "service.stale_version"
    bad = call(agent, "post", f"/cases/{case['id']}/close", {})
    assert bad.status_code == 409
    assert bad.json()["error"]["code"] == "service.invalid_transition"
    reply = call(agent, "post", f"/cases/{case['id']}/comments", {"body": "On its way."})
    assert reply.status_code == 201
    assert reply.json()["kind"] == "reply"
    listed = call(agent, "get", f"/cases/{case['id']}/comments")
    assert [c["body"] for c in listed.json()] == ["On its way."]
    patched = call(agent, "patch", f"/cases/{case['id']}", {"priority": "urgent", "version": 3})
    assert patched.status_code == 200, patched.content
    assert patched.json()["priority"] == "urgent"
    page = call(agent, "get", "/cases?status=open&limit=10")
    assert [c["id"] for c in page.json()["items"]] == [case["id"]]


def test_refusals_keep_the_shape_and_change_nothing(call, agent, order, make_user, company):
    too_many = call(agent, "post", "/cases", body_for(order, "999"))
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"]["lines"]["0"]["quantity"]
    unknown = call(agent, "post", "/cases", {**body_for(order), "colour": "red"})
    assert unknown.status_code == 422
    viewer = make_user(Role.VIEWER, company)
    assert call(viewer, "post", "/cases", body_for(order)).status_code == 403
    assert not Case.objects.for_company(company).exists()
    assert not CaseComment.objects.for_company(company).exists()
    assert call(agent, "get", "/cases/not-a-case").status_code == 404


def test_a_case_of_an_unseen_customer_is_not_found(call, agent, order, make_user, company):
    created = call(agent, "post", "/cases", body_for(order)).json()
    stranger = make_user(Role.SALES_REP, company)
    assert call(stranger, "get", f"/cases/{created['id']}").status_code == 404
    assert call(stranger, "get", "/cases").json()["items"] == []
    assert Decimal(created["lines"][0]["quantity"]) == 1
