"""A retry after a failure repeats nothing and gets the original answer, swept over POST
endpoints of every domain app (customers, sales, inventory, billing, notifications).

The failure is real: an exception raised by ``faults.InnerFault`` after the view returned
(the service's transaction block has completed) or by ``faults.OuterFault`` after the request
committed. The effect is measured as the row count of every table, so any write counts.
"""

from __future__ import annotations

import itertools
import json

import pytest
from django.apps import apps
from django.test import Client

from ordercrm.accounts.tokens import token_create
from ordercrm.api.models import IdempotencyRecord
from ordercrm.api.tests.faults import with_faults

_serial = itertools.count(1)
SKIP = {"api.idempotencyrecord", "accounts.apitoken", "sessions.session"}


def _rows() -> dict[str, int]:
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in SKIP and m._meta.managed and not m._meta.proxy
    }


def _delta(before, after):
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def _customer(ctx):
    return "/customers", {"name": f"Sweep customer {next(_serial)}"}


def _contact(ctx):
    return f"/customers/{ctx['customer'].pk}/contacts", {"name": f"Wang {next(_serial)}"}


def _order(ctx):
    return "/orders", {
        "customer_id": str(ctx["customer"].pk),
        "lines": [{"sku": "P0", "quantity": "2"}, {"sku": "P1", "quantity": "1"}],
    }


def _submit(ctx):
    order = ctx["make_order"](actor=ctx["admin"])
    return f"/orders/{order.pk}/submit", {"version": order.version}


def _receipt(ctx):
    from ordercrm.inventory.models import Warehouse

    warehouse = Warehouse.objects.for_company(ctx["customer"].company).first()
    return "/stock/receipts", {
        "warehouse_id": str(warehouse.pk),
        "reference": f"PO-{next(_serial)}",
        "lines": [{"sku": "P2", "quantity": "5"}],
    }


def _payment(ctx):
    return "/payments", {
        "customer_id": str(ctx["customer"].pk),
        "amount": "25.00",
        "currency": "CNY",
        "method": "bank_transfer",
        "reference": f"BOC {next(_serial)}",
    }


def _webhook(ctx):
    return "/webhooks", {
        "url": f"https://erp.example/hook/{next(_serial)}",
        "event_types": ["order.confirmed"],
    }


ENDPOINTS = [_customer, _contact, _order, _submit, _receipt, _payment, _webhook]


@pytest.fixture
def ctx(settings, company, admin, customer, products, make_order):
    settings.MIDDLEWARE = with_faults(settings.MIDDLEWARE)
    _token, raw = token_create(user=admin, name="faults")
    client = Client(raise_request_exception=False)  # a 5xx reaches the client, as on the wire

    def post(path, body, key, **faults):
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in faults.items()}
        return client.post(
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_IDEMPOTENCY_KEY=key,
            **headers,
        )

    return {"admin": admin, "customer": customer, "make_order": make_order, "post": post}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__.strip("_"))
def test_a_5xx_before_the_commit_changes_nothing_and_the_retry_runs_once(ctx, endpoint):
    path, body = endpoint(ctx)
    client_key = f"inner-{next(_serial)}"
    before = _rows()
    failed = ctx["post"](path, body, client_key, x_fault_raise="inner")
    assert failed.status_code == 500
    assert _delta(before, _rows()) == {}  # the effect was rolled back with the request
    assert not IdempotencyRecord.objects.filter(key=client_key).exists()  # key freed at once

    first = ctx["post"](path, body, client_key)
    assert first.status_code in (200, 201), first.content
    effect = _delta(before, _rows())
    assert effect  # it did something, once
    for _ in range(2):
        again = ctx["post"](path, body, client_key)
        assert again.status_code == first.status_code
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
    assert _delta(before, _rows()) == effect


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__.strip("_"))
def test_a_5xx_after_the_commit_is_answered_by_the_original_result(ctx, endpoint):
    path, body = endpoint(ctx)
    client_key = f"outer-{next(_serial)}"
    before = _rows()
    failed = ctx["post"](path, body, client_key, x_fault_raise="outer")
    assert failed.status_code == 500
    effect = _delta(before, _rows())
    assert effect  # committed before the answer was lost
    record = IdempotencyRecord.objects.get(key=client_key)
    assert record.status_code in (200, 201)
    replies = [ctx["post"](path, body, client_key) for _ in range(3)]
    assert {(r.status_code, r.content) for r in replies} == {
        (record.status_code, bytes(record.body))
    }
    assert all(r["Idempotent-Replayed"] == "true" for r in replies)
    assert _delta(before, _rows()) == effect


def test_without_a_key_a_write_that_fails_with_5xx_changes_nothing(ctx):
    path, body = _order(ctx)
    before = _rows()
    failed = ctx["post"](path, body, "", x_fault_raise="inner")  # an empty key is no key
    assert failed.status_code == 500
    assert _delta(before, _rows()) == {}


def test_a_claim_left_by_a_dead_attempt_expires_after_the_lease(ctx, settings, admin):
    """A record without an answer (its attempt died before committing) is taken over once its
    lease has run out; until then the key answers 409 with Retry-After."""
    import datetime

    from django.utils import timezone

    from ordercrm.api import middleware

    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    path, body = _order(ctx)
    client_key = f"dead-{next(_serial)}"
    # The claim a killed process leaves: made by the middleware's own first step.
    ctx["post"](path, body, client_key, x_fault_raise="inner")
    record = IdempotencyRecord.objects.create(
        token=IdempotencyRecord._meta.get_field("token").related_model.objects.get(
            user=admin, name="faults"
        ),
        key=client_key,
        request_digest=_digest(path, body),
        locked_until=timezone.now() + datetime.timedelta(seconds=60),
    )
    old_wait, middleware.WAIT_FOR_TWIN_S = middleware.WAIT_FOR_TWIN_S, 0.2
    try:
        busy = ctx["post"](path, body, client_key)
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "api.request_in_progress"
        assert 50 <= int(busy["Retry-After"]) <= 61
        IdempotencyRecord.objects.filter(pk=record.pk).update(locked_until=timezone.now())
        before = _rows()
        taken = ctx["post"](path, body, client_key)
        assert taken.status_code == 201
        assert _delta(before, _rows())["sales.salesorder"] == 1
        assert ctx["post"](path, body, client_key).content == taken.content
    finally:
        middleware.WAIT_FOR_TWIN_S = old_wait


def _digest(path, body):
    import hashlib

    return hashlib.sha256(f"POST /api/v1{path}\n".encode() + json.dumps(body).encode()).hexdigest()
