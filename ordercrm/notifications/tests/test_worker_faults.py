"""Faults the worker must outlive, with real parts: a PostgreSQL cluster stopped and started
under it, an SMTP server that comes up late, a webhook receiver answering 500 then 200, two
workers sharing a slow receiver, and a worker killed under ``ordercrm serve``. Each ends with
every delivery sent exactly once per subscriber (a retry carries the same event id), nothing
leased, the queue drained and the worker healthy. Figures are printed (``-s`` shows them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from ordercrm.core import events
from ordercrm.notifications import services, worker
from ordercrm.notifications.models import Delivery, DeliveryStatus, EmailKind, WorkerHeartbeat
from ordercrm.notifications.tests.faults import (
    Cluster,
    Hooks,
    database_url,
    free_port,
    kit,
    wait_for,
)
from ordercrm.notifications.tests.faults import worker as spawn_worker
from ordercrm.sales import services as sales

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _loopback_webhooks(settings, monkeypatch):
    """The receivers here listen on loopback, which webhooks refuse by default; the workers
    and helpers these tests start inherit the switch through the environment."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setenv("ORDERCRM_WEBHOOKS_ALLOW_PRIVATE", "1")


def figures(name: str, **values) -> None:
    sys.stdout.write(f"\nFAULT {name}: {json.dumps(values)}\n")


def deliveries(**filters):
    return Delivery.objects.unscoped().filter(**filters)


def settled() -> dict:
    """The end state every fault test asserts: nothing waiting, nothing leased."""
    return {
        "waiting": deliveries(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED)).count(),
        "leased": deliveries().exclude(locked_by="").count(),
        "dead": deliveries(status=DeliveryStatus.DEAD).count(),
    }


@pytest.fixture
def hooks():
    made = []

    def make(**options):
        made.append(Hooks(**options))
        return made[-1]

    yield make
    for h in made:
        h.close()


@pytest.fixture
def children():
    made = []

    def keep(child):
        made.append(child)
        return child

    yield keep
    for child in made:
        child.stop()


def subscribe(company, admin, endpoint, *paths):
    return [
        services.webhook_create(
            company=company, actor=admin, url=f"{endpoint.url}{path}", event_types=["test.ping"]
        )
        for path in paths
    ]


# ---------------------------------------------------------------- the database goes away


@pytest.fixture(scope="module")
def cluster():
    why = Cluster.unavailable()
    if why:
        pytest.skip(f"no throwaway PostgreSQL cluster: {why}")
    made = Cluster()
    error = made.create()
    if error:
        made.drop()
        pytest.skip(f"no throwaway PostgreSQL cluster: {error}")
    try:
        made.sql("CREATE DATABASE template_fault")
        subprocess.run(
            [sys.executable, "-m", "ordercrm", "migrate", "-v0"],
            env={**os.environ, "DATABASE_URL": made.url("template_fault")},
            check=True,
            capture_output=True,
        )
        yield made
    finally:
        made.drop()


def test_database_stopped_and_started_during_deliveries(cluster, hooks, children, tmp_path):
    """PostgreSQL stops for four seconds while 80 webhooks are being sent and 5 tasks wait:
    the worker stays up, backs off, reconnects, and sends each delivery exactly once."""
    cluster.sql("CREATE DATABASE outage TEMPLATE template_fault")
    db = cluster.url("outage")
    endpoint = hooks(delay=0.08)
    hooked = f"{endpoint.url}/a,{endpoint.url}/b"
    first = kit(db, "seed", "--hooks", hooked, "--events", "30", "--tasks", "3")
    child = children(spawn_worker(tmp_path / "worker.log", database=db))

    assert wait_for(lambda: len(endpoint.ok()) >= 10), child.output()
    cluster.stop()
    down_at = time.monotonic()
    time.sleep(4)
    assert child.alive(), f"the worker exited when the database went away\n{child.output()}"
    sent_while_down = [r for r in endpoint.requests if r["at"] > down_at + 0.5]
    cluster.start()
    up_at = time.monotonic()
    second = kit(db, "seed", "--events", "10", "--tasks", "2")  # new work after the outage
    expected = 2 * (len(first["events"]) + len(second["events"]))

    def sent():
        return cluster.sql(
            "SELECT count(*) FROM notifications_delivery WHERE status='sent'", "outage"
        )[0][0]

    assert wait_for(lambda: sent() == expected, timeout=40), child.output()
    assert wait_for(
        lambda: (
            cluster.sql(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status='SUCCESSFUL'",
                "outage",
            )[0][0]
            == 5
        ),
        timeout=20,
    ), child.output()
    resumed = min(r["at"] for r in endpoint.requests if r["at"] > up_at)
    # the heartbeat says "idle" at its next beat, within HEARTBEAT_S
    wait_for(
        lambda: (
            not cluster.sql(
                "SELECT 1 FROM notifications_workerheartbeat WHERE holding::text <> '{}'", "outage"
            )
        ),
        timeout=2 * worker.HEARTBEAT_S,
    )
    state = kit(db, "state")
    assert child.alive(), child.output()
    tally = endpoint.tally()
    figures(
        "database outage",
        deliveries=expected,
        **tally,
        sent_while_down=len(sent_while_down),
        recover_s=round(resumed - up_at, 2),
        tasks=state["tasks"],
    )
    assert tally["sent"] == expected
    assert tally["duplicates"] == 0
    assert tally["same_event_id_on_retry"]
    assert {(r["path"], r["event"]) for r in endpoint.ok()} == {
        (path, e) for path in ("/a", "/b") for e in first["events"] + second["events"]
    }
    assert state["deliveries"] == {"sent": expected}
    assert state["leased"] == 0
    assert state["tasks"] == {"SUCCESSFUL": 5}
    assert state["health"]["status"] == "ok", state["health"]
    assert state["health"]["queue_depth"] == 0


# ---------------------------------------------------------------- receivers that fail


@pytest.fixture
def confirmed_order(company, rep, customer, stocked):
    customer.email = "buyer@mingda.example"
    customer.save()

    def make():
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 1}],
        )
        return sales.order_submit(order=order, actor=rep)

    return make


def test_smtp_down_then_up(company, confirmed_order, children, tmp_path):
    """No SMTP server at first: the confirmations fail and wait; once it listens, each is
    delivered exactly once, with its event id."""
    from aiosmtpd.controller import Controller

    port = free_port()
    orders = [confirmed_order() for _ in range(4)]
    child = children(
        spawn_worker(
            tmp_path / "worker.log",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            DEFAULT_FROM_EMAIL="sales@acme.example",
        )
    )
    emails = deliveries(kind=EmailKind.ORDER_CONFIRMATION)
    assert wait_for(lambda: emails.filter(status=DeliveryStatus.FAILED).count() == len(orders)), (
        child.output()
    )
    assert "ConnectionRefusedError" in emails.first().last_error

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()
    up_at = time.monotonic()
    try:
        assert wait_for(
            lambda: emails.filter(status=DeliveryStatus.SENT).count() == len(orders), timeout=45
        ), child.output()
        recovered = time.monotonic() - up_at
    finally:
        smtp.stop()
    ids = [m["X-OrderCRM-Event-Id"] for m in received]
    figures(
        "smtp down then up",
        deliveries=len(orders),
        sent=len(set(ids)),
        duplicates=len(ids) - len(set(ids)),
        attempts=sorted(emails.values_list("attempts", flat=True)),
        recover_s=round(recovered, 2),
    )
    assert len(ids) == len(set(ids)) == len(orders)
    assert set(ids) == {str(d.event_id) for d in emails}
    assert settled() == {"waiting": 0, "leased": 0, "dead": 0}
    assert child.alive()


def test_webhook_500_then_200(company, admin, customer, hooks, children, tmp_path):
    """Both subscribers answer 500 at first, then 200: each event reaches each subscriber
    exactly once with a 200, every retry with the same event id and delivery."""
    endpoint = hooks()
    endpoint.failing = True
    subscribe(company, admin, endpoint, "/a", "/b")
    emitted = {str(events.emit(type="test.ping", entity=customer).pk) for _ in range(10)}
    child = children(spawn_worker(tmp_path / "worker.log"))
    assert wait_for(lambda: endpoint.tally()["answered_500"] >= 20), child.output()
    endpoint.failing = False
    up_at = time.monotonic()
    assert wait_for(lambda: deliveries(status=DeliveryStatus.SENT).count() == 20, timeout=45), (
        child.output()
    )
    tally = endpoint.tally()
    figures(
        "webhook 500 then 200",
        deliveries=20,
        **tally,
        recover_s=round(max(r["at"] for r in endpoint.ok()) - up_at, 2),
    )
    assert {(r["path"], r["event"]) for r in endpoint.ok()} == {
        (p, e) for p in ("/a", "/b") for e in emitted
    }
    assert tally["duplicates"] == 0
    assert tally["same_event_id_on_retry"]
    assert settled() == {"waiting": 0, "leased": 0, "dead": 0}


# ---------------------------------------------------------------- leases


def test_two_workers_with_a_slow_receiver_send_each_delivery_once(
    company, admin, customer, hooks, children, tmp_path
):
    """30 deliveries, a receiver taking 0.25 s each, a 2 s lease, two workers: a 20-delivery
    batch lease expired before its tail was sent and the other worker sent it again. Leased
    one at a time, each is sent once, both workers share the work, and health never says
    "stale" while they are busy."""
    endpoint = hooks(delay=0.25)
    subscribe(company, admin, endpoint, "/slow")
    emitted = {str(events.emit(type="test.ping", entity=customer).pk) for _ in range(30)}
    workers = [
        children(spawn_worker(tmp_path / f"worker{n}.log", ORDERCRM_DELIVERY_LEASE_S="2"))
        for n in (1, 2)
    ]
    assert wait_for(lambda: WorkerHeartbeat.objects.count() == 2, timeout=20)
    seen = set()

    def done():
        seen.add(worker.queue_state().get("status"))
        return deliveries(status=DeliveryStatus.SENT).count() == 30

    started = time.monotonic()
    assert wait_for(done, timeout=45, every=0.3), workers[0].output()
    took = time.monotonic() - started
    # each worker's count of sends reaches the table with its next heartbeat
    wait_for(
        lambda: sum(w["sent"] for w in worker.queue_state().get("workers", [])) == 30,
        timeout=2 * worker.HEARTBEAT_S,
    )
    state = worker.queue_state()
    tally = endpoint.tally()
    figures(
        "two workers, slow receiver",
        deliveries=30,
        **tally,
        per_worker=[w["sent"] for w in state.get("workers", [])],
        health_seen=sorted(seen),
        took_s=round(took, 1),
    )
    assert {r["event"] for r in endpoint.ok()} == emitted
    assert tally["duplicates"] == 0
    assert len(state["workers"]) == 2
    assert all(w["sent"] > 0 for w in state["workers"]), state["workers"]
    assert "stale" not in seen
    assert "stuck" not in seen
    assert settled() == {"waiting": 0, "leased": 0, "dead": 0}


# ---------------------------------------------------------------- supervision


def test_serve_restarts_a_killed_worker(company, admin, customer, hooks, children, tmp_path):
    """kill -9 the worker under ``ordercrm serve``: it is started again and delivers."""
    from ordercrm.notifications.tests.faults import Child

    endpoint = hooks()
    subscribe(company, admin, endpoint, "/a")
    port = free_port()
    serve = children(
        Child(
            ["serve", "--port", str(port), "--workers", "1"],
            tmp_path / "serve.log",
            DATABASE_URL=database_url(),
        )
    )

    def pids():
        return set(WorkerHeartbeat.objects.values_list("pid", flat=True))

    assert wait_for(lambda: pids(), timeout=30), serve.output()
    [first] = pids()
    os.kill(first, signal.SIGKILL)
    killed_at = time.monotonic()
    emitted = {str(events.emit(type="test.ping", entity=customer).pk) for _ in range(5)}
    assert wait_for(lambda: pids() - {first}, timeout=30), serve.output()
    [second] = pids() - {first}
    restarted = time.monotonic() - killed_at
    assert wait_for(lambda: {r["event"] for r in endpoint.ok()} == emitted), serve.output()
    delivered = time.monotonic() - killed_at
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/worker", timeout=10) as answer:
        health = json.loads(answer.read())
    figures(
        "serve, worker killed",
        deliveries=len(emitted),
        **endpoint.tally(),
        restart_s=round(restarted, 2),
        delivered_s=round(delivered, 2),
        health=health["status"],
    )
    assert health["status"] == "ok"
    assert "restart 1" in serve.output()
    serve.stop()
    assert wait_for(lambda: not _running(second), timeout=20), "the worker outlived serve"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not running
        return stat.read().split()[2] != "Z"


# ---------------------------------------------------------------- health


def test_health_busy_while_holding_a_slow_delivery_stuck_past_its_lease_stale_when_gone(
    client, company, admin, customer, hooks, settings
):
    """A worker sending to a slow receiver answers "busy" (200) naming the delivery it holds,
    not "stale"; holding one past its lease is "stuck" (503); no heartbeat is "stale" (503)."""
    import threading

    settings.DELIVERY_LEASE_SECONDS = 5
    client.get("/health/worker")  # load the URLconf before the clock matters
    endpoint = hooks(delay=2.0)
    subscribe(company, admin, endpoint, "/slow")
    events.emit(type="test.ping", entity=customer)
    status = worker.WorkerStatus("busy-worker")
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker.heartbeat_forever, args=(stop, status, 0.2)),
        threading.Thread(
            target=worker.run_forever,
            args=(stop, 0.2),
            kwargs={"worker_id": "busy-worker", "status": status},
        ),
    ]
    for thread in threads:
        thread.start()
    try:
        assert wait_for(lambda: endpoint.started == 1, timeout=10)
        time.sleep(0.5)  # a heartbeat written while the send is in flight
        answer = client.get("/health/worker")
        held = deliveries(locked_by="busy-worker").get()
        stuck = worker.queue_state(now=timezone.now() + timezone.timedelta(seconds=6))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    state = answer.json()
    assert (answer.status_code, state["status"]) == (200, "busy"), state
    [busy] = state["workers"]
    assert busy["holding"] == {"delivery": str(held.pk)}
    assert busy["state"] == "busy"
    assert stuck["status"] == "stuck"
    assert stuck["workers"][0]["held_s"] > 5
    assert len(endpoint.ok()) == 1
    # a clean stop removes the heartbeat: no worker is running any more
    answer = client.get("/health/worker")
    assert (answer.status_code, answer.json()["status"]) == (503, "stale")
