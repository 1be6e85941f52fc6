"""Issue #17 under real contention on PostgreSQL: reversing a receipt races a confirmation
that reserves the same stock, and two reversals of one receipt race each other. Real
threads, real row locks; exactly one side wins and on hand ≥ reserved ≥ 0 after."""

import threading
import time

import pytest
from django.db import connection, transaction

from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import StockPolicy
from ordercrm.fulfilment.tests.test_concurrency import assert_stock_invariants, run_threads
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import MoveKind, StockLevel, StockMove
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from ordercrm.sales.workflow import Status

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 8


def outcome_of(work):
    """Run ``work``; its result is "ok" or the refusal's code."""
    try:
        work()
    except DomainError as error:
        return error.code
    return "ok"


def test_a_reversal_racing_a_confirmation_lets_exactly_one_win(
    company, rep, keeper, customer, make_product, stock, main_warehouse
):
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    rounds = []
    for i in range(ROUNDS):
        product = make_product(company, sku=f"R{i}")
        [receipt_move] = stock(product, 10)  # the only stock of the product
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": product, "quantity": 6}],
        )
        rounds.append((product, receipt_move.reference_id, order))
    results: dict[tuple[int, str], str] = {}

    def reverse(i, receipt_id):
        def work():
            results[(i, "reverse")] = outcome_of(
                lambda: inventory.stock_receipt_reverse(
                    company=company, actor=keeper, receipt_id=receipt_id, reason="wrong delivery"
                )
            )

        return work

    def confirm(i, order):
        def work():
            results[(i, "confirm")] = outcome_of(lambda: sales.order_submit(order=order, actor=rep))

        return work

    workers = []
    for i, (_product, receipt_id, order) in enumerate(rounds):
        # alternate who starts first, so both orders of arrival are tried
        pair = [reverse(i, receipt_id), confirm(i, order)]
        workers += pair if i % 2 else pair[::-1]
    assert run_threads(workers) == []

    winners = {"reverse": 0, "confirm": 0}
    for i, (product, _receipt_id, order) in enumerate(rounds):
        reversed_, confirmed = results[(i, "reverse")], results[(i, "confirm")]
        level = StockLevel.objects.for_company(company).get(
            product=product, warehouse=main_warehouse
        )
        status = SalesOrder.objects.for_company(company).get(pk=order.pk).status
        reversals = StockMove.objects.for_company(company).filter(
            product=product, kind=MoveKind.RECEIPT_REVERSAL
        )
        if reversed_ == "ok":
            assert confirmed == "inventory.insufficient_stock", (i, results)
            assert (level.on_hand, level.reserved) == (0, 0)
            assert reversals.count() == 1
            assert status != Status.CONFIRMED
            winners["reverse"] += 1
        else:
            assert (reversed_, confirmed) == ("inventory.below_reserved", "ok"), (i, results)
            assert (level.on_hand, level.reserved) == (10, 6)
            assert not reversals.exists()
            assert status == Status.CONFIRMED
            winners["confirm"] += 1
        assert level.on_hand >= level.reserved >= 0
    assert sum(winners.values()) == ROUNDS
    assert_stock_invariants(company)


def waiting_on_locks() -> int:
    """Sessions of this database blocked on a lock right now (asked inside a transaction, so
    the statistics snapshot it would keep is cleared first)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def wait_until(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("first", ["confirm", "reverse"])
def test_queued_on_the_same_stock_level_the_first_in_line_wins(
    company, rep, keeper, customer, make_product, stock, main_warehouse, first
):
    """Both transactions are made to wait on the product's stock level, held by a third, in
    a known order; when it is let go the first in line wins and the second sees its effect."""
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    product = make_product(company, sku="Q")
    [receipt_move] = stock(product, 10)
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": product, "quantity": 6}]
    )
    results: dict[str, str] = {}
    errors: list[BaseException] = []
    work = {
        "confirm": lambda: sales.order_submit(order=order, actor=rep),
        "reverse": lambda: inventory.stock_receipt_reverse(
            company=company,
            actor=keeper,
            receipt_id=receipt_move.reference_id,
            reason="wrong delivery",
        ),
    }

    def thread_for(name):
        def run():
            try:
                results[name] = outcome_of(work[name])
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        return threading.Thread(target=run)

    second = "reverse" if first == "confirm" else "confirm"
    threads = []
    with transaction.atomic():
        StockLevel.objects.for_company(company).select_for_update().get(
            product=product, warehouse=main_warehouse
        )
        for count, name in enumerate([first, second], start=1):
            threads.append(thread_for(name))
            threads[-1].start()
            wait_until(lambda count=count: waiting_on_locks() >= count)
    for thread in threads:
        thread.join()
    assert errors == []
    level = StockLevel.objects.for_company(company).get(product=product, warehouse=main_warehouse)
    status = SalesOrder.objects.for_company(company).get(pk=order.pk).status
    if first == "confirm":
        assert results == {"confirm": "ok", "reverse": "inventory.below_reserved"}
        assert (level.on_hand, level.reserved, status) == (10, 6, Status.CONFIRMED)
    else:
        assert results == {"reverse": "ok", "confirm": "inventory.insufficient_stock"}
        assert (level.on_hand, level.reserved) == (0, 0)
        assert status != Status.CONFIRMED
    assert level.on_hand >= level.reserved >= 0
    assert_stock_invariants(company)


def test_two_reversals_of_one_receipt_racing_reverse_it_once(
    company, keeper, make_user, make_product, stock, main_warehouse
):
    from ordercrm.accounts.roles import Role

    other_keeper = make_user(Role.WAREHOUSE, company, username="keeper2")
    receipts = []
    for i in range(ROUNDS):
        product = make_product(company, sku=f"T{i}")
        stock(product, 3)  # another receipt's stock, so on hand could afford two reversals
        [receipt_move] = stock(product, 3)
        receipts.append((product, receipt_move.reference_id))
    results: list[tuple[int, str]] = []

    def reverse(i, receipt_id, actor):
        def work():
            results.append(
                (
                    i,
                    outcome_of(
                        lambda: inventory.stock_receipt_reverse(
                            company=company, actor=actor, receipt_id=receipt_id, reason="twice"
                        )
                    ),
                )
            )

        return work

    workers = []
    for i, (_product, receipt_id) in enumerate(receipts):
        workers += [reverse(i, receipt_id, keeper), reverse(i, receipt_id, other_keeper)]
    assert run_threads(workers) == []
    for i, (product, receipt_id) in enumerate(receipts):
        assert sorted(code for n, code in results if n == i) == [
            "inventory.already_reversed",
            "ok",
        ], (i, results)
        level = StockLevel.objects.for_company(company).get(
            product=product, warehouse=main_warehouse
        )
        assert (level.on_hand, level.reserved) == (3, 0)
        assert (
            StockMove.objects.for_company(company)
            .filter(reference_id=receipt_id, kind=MoveKind.RECEIPT_REVERSAL)
            .count()
            == 1
        )
    assert_stock_invariants(company)
