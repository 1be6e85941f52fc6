"""A kit sent back through a return authorisation: its components come back into stock, and
a replacement kit reserves and ships them again (docs/decisions.md, "Kits"). The ledger
check of this package's conftest runs after each test."""

from decimal import Decimal

from ordercrm.catalog import services as catalog
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory.models import StockLevel
from ordercrm.returns import services
from ordercrm.returns.models import RmaSettlement
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine


def level(company, product, warehouse):
    row = StockLevel.objects.for_company(company).get(product=product, warehouse=warehouse)
    return row.on_hand, row.reserved


def test_a_returned_kit_brings_its_components_back_and_a_replacement_ships_them(
    company,
    admin,
    access_of,
    rep,
    support,
    manager,
    keeper,
    customer,
    stocked,
    make_product,
    main_warehouse,
):
    a, b = stocked[0], stocked[1]
    kit = catalog.product_kit_set(
        product=make_product(company, sku="KIT-R", list_price=Decimal("50")),
        actor=admin,
        components=[{"product": a, "quantity": "5"}, {"product": b, "quantity": "2"}],
    )
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": kit, "quantity": 3}]
    )
    order = sales.order_submit(order=order, actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert level(company, a, main_warehouse) == (85, 0)
    [kit_line] = SalesOrderLine.objects.for_company(company).filter(order=order)
    rma = services.rma_create(
        access_of(support, company),
        order,
        [
            {
                "order_line_id": str(kit_line.pk),
                "quantity": "1",
                "decision": "replace",
                "reason": "dented",
            }
        ],
    )
    rma = services.rma_approve(rma=rma, actor=manager)
    rma = services.rma_receive(rma=rma, actor=keeper, warehouse=main_warehouse)
    assert level(company, a, main_warehouse) == (90, 0)
    assert level(company, b, main_warehouse) == (96, 0)
    kit_line.refresh_from_db()
    assert kit_line.qty_returned == 1

    services.rma_replace(rma=rma, actor=keeper)
    kit_line.refresh_from_db()
    assert (kit_line.qty_replaced, kit_line.qty_reserved) == (1, 1)
    assert level(company, a, main_warehouse) == (90, 5)
    assert level(company, b, main_warehouse) == (96, 2)
    replacement = RmaSettlement.objects.for_company(company).get(kind="shipment").shipment
    fulfilment.shipment_dispatch(shipment=replacement, actor=keeper)
    assert level(company, a, main_warehouse) == (85, 0)
    assert level(company, b, main_warehouse) == (94, 0)
