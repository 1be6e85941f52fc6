"""A product with stock on hand cannot become a kit (``catalog.kit_has_stock``): a kit's stock
is its components', so its own would be hidden, never issued or counted again."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import KitComponent, Product
from ordercrm.core.exceptions import DomainError, ValidationFailed
from ordercrm.inventory import services
from ordercrm.inventory.models import StockLevel


@pytest.fixture
def parts(company, make_product):
    return make_product(company, sku="BOX"), make_product(company, sku="PART")


def test_a_product_with_stock_on_hand_stays_an_ordinary_product(
    company, admin, keeper, main_warehouse, parts
):
    box, part = parts
    services.stock_receive(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": box, "quantity": "1200"}],
    )
    with pytest.raises(ValidationFailed) as raised:
        catalog.product_kit_set(
            product=box, actor=admin, components=[{"product": part, "quantity": "2"}]
        )
    assert raised.value.code == "catalog.kit_has_stock"
    assert raised.value.details["on_hand"] == "1200"  # plain, for programs
    assert "BOX has 1,200 on hand" in raised.value.text  # the reader's number format
    box.refresh_from_db()
    assert (box.is_kit, box.version) == (False, 1)
    assert not KitComponent.objects.for_company(company).filter(kit=box).exists()


def test_once_its_stock_is_issued_it_may_become_a_kit(
    company, admin, keeper, main_warehouse, parts
):
    box, part = parts
    services.stock_receive(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": box, "quantity": "3"}],
    )
    services.stock_adjust(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": box, "quantity": "-3"}],
        reason="repacked as a set",
    )
    made = catalog.product_kit_set(
        product=box, actor=admin, components=[{"product": part, "quantity": "2"}]
    )
    assert made.is_kit
    # changing a kit's components is not becoming a kit: the guard is not asked again
    catalog.product_kit_set(
        product=box, actor=admin, components=[{"product": part, "quantity": "4"}]
    )


def _race(receive, make_kit) -> dict[str, str]:
    """Run both at once (a barrier between them); each one's outcome: "ok" or its code."""
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(name, work):
        try:
            start.wait()
            work()
            outcomes[name] = "ok"
        except DomainError as error:
            outcomes[name] = error.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("receipt", receive)),
        threading.Thread(target=run, args=("kit", make_kit)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_receipt_racing_a_product_becoming_a_kit_never_leaves_stock_on_a_kit(
    company, admin, keeper, main_warehouse, parts
):
    box, part = parts

    def receive():
        services.stock_receive(
            company=company,
            actor=keeper,
            warehouse=main_warehouse,
            lines=[{"product_id": str(box.pk), "quantity": "1"}],
        )

    def make_kit():
        catalog.product_kit_set(
            product=box, actor=admin, components=[{"product": part, "quantity": "1"}]
        )

    for attempt in range(6):
        outcomes = _race(receive, make_kit)
        is_kit = Product.objects.for_company(company).get(pk=box.pk).is_kit
        on_hand = sum(
            StockLevel.objects.for_company(company)
            .filter(product=box)
            .values_list("on_hand", flat=True),
            Decimal(0),
        )
        # exactly one of the two wins, whichever came first; never both
        assert sorted(outcomes.values()).count("ok") == 1, (attempt, outcomes, is_kit, on_hand)
        assert not (is_kit and on_hand), (is_kit, on_hand)
        if is_kit:  # the kit won: undo it for the next round
            catalog.product_kit_set(product=box, actor=admin, components=[])
        else:  # the receipt won: take the stock out again
            services.stock_adjust(
                company=company,
                actor=keeper,
                warehouse=main_warehouse,
                lines=[{"product": box, "quantity": f"-{on_hand}"}],
                reason="next round",
            )
