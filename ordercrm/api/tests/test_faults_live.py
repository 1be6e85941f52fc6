"""Faults on the wire, against real gunicorn processes on the test database: the client gives
up, the worker process is killed mid-request, the database goes away mid-request. Each ends
with exactly one effect, the same answer on every retry, and no key left in progress beyond
the lease (``ORDERCRM_IDEMPOTENCY_LEASE_S=3`` in these servers)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests

from ordercrm.accounts.tokens import token_create
from ordercrm.api.models import IdempotencyRecord
from ordercrm.api.tests.live import LiveServer, TcpProxy, shared_database_url
from ordercrm.sales.models import SalesOrder

pytestmark = pytest.mark.django_db(transaction=True)
LEASE_S = 3


@pytest.fixture
def server():
    live = LiveServer()
    yield live
    live.stop()


@pytest.fixture
def order_call(company, rep, customer, products):
    _token, raw = token_create(user=rep, name="live")
    body = {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "3"}]}

    def post(base_url, key, timeout=60, **faults):
        headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": key}
        headers.update({k.replace("_", "-"): v for k, v in faults.items()})
        return requests.post(
            f"{base_url}/api/v1/orders", json=body, headers=headers, timeout=timeout
        )

    return post


def _orders(company) -> int:
    return SalesOrder.objects.for_company(company).count()


def _nothing_in_progress(key: str) -> None:
    assert not IdempotencyRecord.objects.filter(key=key, status_code__isnull=True).exists()


def _slow_in_background(call, *args, **faults):
    outcome = {}

    def run():
        try:
            outcome["response"] = call(*args, **faults)
        except requests.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for(path, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "the request never reached the fault"
        time.sleep(0.05)


def _check_replays(order_call, url, key, first) -> None:
    for _ in range(2):
        again = order_call(url, key)
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["Idempotent-Replayed"] == "true"


def test_client_gives_up_the_request_finishes_and_the_retry_gets_the_original(
    server, order_call, company
):
    with pytest.raises(requests.Timeout):
        order_call(server.url, "timeout-1", timeout=0.5, x_fault_sleep="1.5")
    retry = order_call(server.url, "timeout-1")  # waits for the first one, then replays it
    assert retry.status_code == 201, retry.content
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _orders(company) == 1
    assert retry.json()["id"] == str(SalesOrder.objects.for_company(company).get().pk)
    _check_replays(order_call, server.url, "timeout-1", retry)
    _nothing_in_progress("timeout-1")


def test_a_request_slower_than_its_lease_and_its_retry_make_one_order(
    server, order_call, company, tmp_path
):
    """The retry takes the expired claim over while the first request still runs; whichever
    commits first wins, the other rolls back and answers with the winner's result."""
    marker = tmp_path / "reached"
    thread, outcome = _slow_in_background(
        order_call, server.url, "slow-1", x_fault_sleep=str(LEASE_S + 1), x_fault_marker=str(marker)
    )
    _wait_for(marker)
    retry = order_call(server.url, "slow-1")
    thread.join(30)
    first = outcome["response"]
    assert {first.status_code, retry.status_code} == {201}
    assert first.json()["id"] == retry.json()["id"]
    assert _orders(company) == 1
    _check_replays(order_call, server.url, "slow-1", retry)
    _nothing_in_progress("slow-1")


def test_worker_killed_mid_request_the_retry_on_a_new_process_makes_one_order(
    server, order_call, company, tmp_path
):
    victim = server.wait_ready()
    marker = tmp_path / "reached"
    thread, outcome = _slow_in_background(
        order_call, server.url, "kill-1", x_fault_sleep="60", x_fault_marker=str(marker)
    )
    _wait_for(marker)  # the order is written, its transaction not committed
    os.kill(victim, signal.SIGKILL)
    thread.join(30)
    assert "error" in outcome  # the client saw the connection die
    assert _orders(company) == 0
    claim = IdempotencyRecord.objects.get(key="kill-1")
    assert claim.status_code is None
    assert claim.locked_until is not None

    successor = server.wait_ready()  # gunicorn starts a new worker process
    assert successor != victim
    started = time.monotonic()
    retry = order_call(server.url, "kill-1")
    assert retry.status_code == 201, retry.content
    assert time.monotonic() - started < LEASE_S + 10  # the dead claim expired after its lease
    assert _orders(company) == 1
    _check_replays(order_call, server.url, "kill-1", retry)
    _nothing_in_progress("kill-1")


@pytest.mark.postgres
def test_database_outage_mid_request_then_the_retry_makes_one_order(order_call, company, tmp_path):
    from django.db import connection

    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    live = LiveServer(database_url=shared_database_url(port=proxy.port))
    try:
        marker = tmp_path / "reached"
        thread, outcome = _slow_in_background(
            order_call, live.url, "outage-1", x_fault_sleep="2", x_fault_marker=str(marker)
        )
        _wait_for(marker)
        proxy.cut()  # the database is gone before the request commits
        thread.join(30)
        failed = outcome["response"]
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "api.unavailable"
        assert int(failed.headers["Retry-After"]) > 0
        during = order_call(live.url, "outage-1")
        assert during.status_code == 503  # still down: nothing can run, nothing is promised
        assert _orders(company) == 0
        assert IdempotencyRecord.objects.get(key="outage-1").status_code is None

        proxy.restore()
        retry = order_call(live.url, "outage-1")
        assert retry.status_code == 201, retry.content
        assert _orders(company) == 1
        _check_replays(order_call, live.url, "outage-1", retry)
        _nothing_in_progress("outage-1")
    finally:
        live.stop()
        proxy.close()
