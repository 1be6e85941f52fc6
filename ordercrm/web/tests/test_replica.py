"""The read replica: reports, lists and exports read it only when they opt in, never inside a
transaction, never for a write; a user's own change is read back from the primary.

The PostgreSQL tests make a real second database, a copy of the test database taken after the
fixtures (``CREATE DATABASE … TEMPLATE``), and point a ``replica`` alias at it. It is a
replica frozen at that moment, an infinitely lagging one: whatever a test writes afterwards
is on the primary only, so a page shows the write exactly when it read the primary.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import psycopg
import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from ordercrm.accounts.tokens import token_create
from ordercrm.core import db as replica_db
from ordercrm.core.db import (
    PRIMARY,
    REPLICA,
    ReplicaRouter,
    RequestReads,
    reading_from_primary,
    reading_from_replica,
    recent_write_key,
    stream_from_replica,
)
from ordercrm.customers import services as customers
from ordercrm.customers.models import Customer
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

router = ReplicaRouter()


@pytest.fixture
def replica_named(settings, monkeypatch):
    """Only the alias's name in the settings: the router's decisions, no second database
    (an alias configured with DATABASE_REPLICA_URL is put back afterwards)."""
    monkeypatch.setitem(settings.DATABASES, REPLICA, settings.DATABASES.get(REPLICA, {}))


def test_without_a_replica_everything_reads_the_primary(settings, monkeypatch):
    monkeypatch.delitem(settings.DATABASES, REPLICA, raising=False)
    with reading_from_replica():
        assert router.db_for_read(Customer) == PRIMARY


def test_reads_go_to_the_replica_only_inside_reading_from_replica(replica_named):
    assert router.db_for_read(Customer) == PRIMARY
    with reading_from_replica():
        assert router.db_for_read(Customer) == REPLICA
    assert router.db_for_read(Customer) == PRIMARY


def test_a_decorated_view_reads_the_replica_each_call_and_the_primary_inside(replica_named):
    @reading_from_replica()
    def view(depth: int) -> list:
        seen = [router.db_for_read(Customer)]
        with reading_from_primary():
            seen.append(router.db_for_read(Customer))
        return seen + (view(depth - 1) if depth else [])

    assert view(1) == [REPLICA, PRIMARY, REPLICA, PRIMARY]
    assert router.db_for_read(Customer) == PRIMARY


def test_writes_and_migrations_go_to_the_primary(replica_named):
    with reading_from_replica():
        assert router.db_for_write(Customer) == PRIMARY
    assert router.allow_migrate(PRIMARY, "customers")
    assert not router.allow_migrate(REPLICA, "customers")


def test_sessions_users_tokens_cache_and_tasks_stay_on_the_primary(replica_named):
    from django.contrib.sessions.models import Session

    from ordercrm.accounts.models import ApiToken, User

    with reading_from_replica():
        for model in (Session, User, ApiToken):
            assert router.db_for_read(model) == PRIMARY


def test_a_request_that_wrote_reads_the_primary(replica_named):
    state = RequestReads(wrote=True)
    token = replica_db._request.set(state)
    try:
        with reading_from_replica():
            assert router.db_for_read(Customer) == PRIMARY
    finally:
        replica_db._request.reset(token)


def test_a_row_changing_statement_marks_the_request_as_writing():
    def execute(sql, params, many, context):
        return None

    reads = RequestReads()
    reads.watch(execute, 'SELECT * FROM "ordercrm_cache"', [], False, {})
    reads.watch(execute, 'UPDATE "ordercrm_cache" SET value = 1', [], False, {})
    reads.watch(execute, 'UPDATE "accounts_apitoken" SET "last_used_at" = 1', [], False, {})
    assert not reads.wrote
    reads.watch(execute, ' INSERT INTO "customers_customer" VALUES (1)', [], False, {})
    assert reads.wrote


def test_inside_a_transaction_reads_go_to_the_primary(db, replica_named):
    with reading_from_replica(), transaction.atomic():
        assert router.db_for_read(Customer) == PRIMARY


def test_a_streamed_body_reads_the_replica_after_the_view_returned(replica_named):
    def chunks():
        yield router.db_for_read(Customer)

    body = stream_from_replica(chunks())
    assert router.db_for_read(Customer) == PRIMARY
    assert list(body) == [REPLICA]


# ---------------------------------------------------------------- a real second database


def _admin_connection(settings_dict):
    return psycopg.connect(
        dbname="postgres",
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        autocommit=True,
    )


@contextmanager
def frozen_replica(settings):
    """A ``replica`` alias on a copy of the test database as it is now (see the module's
    docstring), the router on; the copy dropped afterwards. Yields the copy's name."""
    primary = connections[PRIMARY].settings_dict
    name = f"{primary['NAME']}_replica"[:63]
    connections.close_all()  # TEMPLATE needs the source database without connections
    with _admin_connection(primary) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary["NAME"]}"')
    configured = connections.settings.get(REPLICA)  # DATABASE_REPLICA_URL's, put back after
    if configured is not None:
        connections[REPLICA].close()
        del connections[REPLICA]
    connections.settings[REPLICA] = {**primary, "NAME": name, "TEST": {"MIRROR": None}}
    # connected now: Django's test case refuses to open a connection to an alias it did not
    # know when the test began (the copy cannot exist then), not to use an open one
    connections[REPLICA].connect()
    settings.DATABASE_ROUTERS = ["ordercrm.core.db.ReplicaRouter"]
    try:
        yield name
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        if configured is not None:
            connections.settings[REPLICA] = configured
        with _admin_connection(primary) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _on_replica(name: str, sql: str, params=()):
    primary = connections[PRIMARY].settings_dict
    with psycopg.connect(
        dbname=name,
        user=primary["USER"] or None,
        password=primary["PASSWORD"] or None,
        host=primary["HOST"] or None,
        port=primary["PORT"] or None,
    ) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_inside_reading_from_replica_lands_on_the_primary_only(
    company, admin, make_customer, settings
):
    before = make_customer(company, name="Before the copy")
    with frozen_replica(settings) as replica, reading_from_replica():
        # a read goes to the replica: a row written after the copy is not there
        made = customers.customer_create(
            company=company, actor=admin, name="After the copy", allow_duplicate=True
        )
        assert not Customer.objects.for_company(company).filter(pk=made.pk).exists()
        with transaction.atomic():
            assert Customer.objects.for_company(company).filter(pk=made.pk).exists()
        # a row read on the replica and saved is saved on the primary
        read = Customer.objects.for_company(company).get(pk=before.pk)
        assert read._state.db == REPLICA
        read.name = "Renamed"
        read.save(update_fields=["name"])
        Customer.objects.for_company(company).filter(pk=before.pk).update(notes="updated")
        on_replica = _on_replica(
            replica,
            "SELECT name, notes FROM customers_customer WHERE company_id = %s",
            [company.pk],
        )
    assert on_replica == [("Before the copy", before.notes)]
    names = set(
        Customer.objects.for_company(company).filter(company=company).values_list("name", flat=True)
    )
    assert names == {"Renamed", "After the copy"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_user_sees_their_own_change_in_the_list_and_others_read_the_replica(
    settings, company, rep, manager, make_order
):
    """The rep submits (and so confirms) an order; the list of confirmed orders shows it to
    the rep at once, from the primary, while the manager's list still reads the replica, where
    it is a draft. Once the window has passed, the rep reads the replica too."""
    settings.REPLICA_READ_YOUR_WRITES_S = 2
    order = make_order()
    confirmed = reverse("order_list") + "?status=confirmed"
    with frozen_replica(settings) as replica:
        rep_client, manager_client = Client(), Client()  # load the middleware with a replica
        rep_client.force_login(rep)
        manager_client.force_login(manager)
        assert order.number not in _text(rep_client.get(confirmed))
        response = rep_client.post(
            reverse("order_action", args=[order.pk, "submit"]), {"version": order.version}
        )
        assert response.status_code in (200, 302)
        assert SalesOrder.objects.for_company(company).get(pk=order.pk).status == Status.CONFIRMED
        assert order.number in _text(rep_client.get(confirmed))
        assert order.number not in _text(manager_client.get(confirmed))
        # a page that did not opt in reads the primary: the order's own page says confirmed
        assert "Confirmed" in _text(manager_client.get(reverse("order_detail", args=[order.pk])))
        stored = _on_replica(
            replica, "SELECT status FROM sales_salesorder WHERE id = %s", [order.pk]
        )
        assert stored == [(Status.DRAFT,)]
        time.sleep(2.2)
        assert order.number not in _text(rep_client.get(confirmed))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_api_client_without_cookies_reads_its_own_write(
    settings, company, rep, manager, make_order
):
    """The mark is kept per user in the shared cache: a token client that keeps no cookie
    lists the order it just submitted."""
    order = make_order()
    rep_token = token_create(user=rep, name="replica test")[1]
    manager_token = token_create(user=manager, name="replica test")[1]
    with frozen_replica(settings):
        client = Client()
        listed = "/api/v1/orders?status=confirmed"
        assert _numbers(client.get(listed, headers=_bearer(rep_token))) == []
        response = client.post(
            f"/api/v1/orders/{order.pk}/submit",
            {},
            content_type="application/json",
            headers=_bearer(rep_token),
        )
        assert response.status_code == 200, response.content
        assert cache.get(recent_write_key(rep.pk))
        assert _numbers(client.get(listed, headers=_bearer(rep_token))) == [order.number]
        assert _numbers(client.get(listed, headers=_bearer(manager_token))) == []


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _numbers(response) -> list:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
