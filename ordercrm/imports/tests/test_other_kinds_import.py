"""Products, price-list items, opening stock and open orders through their services."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import PriceListItem, Product
from ordercrm.imports.tests.conftest import csv_bytes, outcomes
from ordercrm.inventory.models import StockLevel, Warehouse
from ordercrm.sales.models import SalesOrder

pytestmark = pytest.mark.django_db


def test_products_good_bad_and_twice(company, run_import):
    content = csv_bytes(
        ["产品编码", "产品名称", "单位", "标准价"],
        [["A-1", "Bolt", "pcs", "1.50"], ["A-2", "Nut", "nope", "1"], ["A-3", "", "pcs", "-1"]],
    )

    job = run_import("products", content)

    assert [a for _n, a, _m in outcomes(job)] == ["create", "error", "error"]
    assert Product.objects.for_company(company).get(sku="A-1").list_price == Decimal("1.50")
    assert not Product.objects.for_company(company).filter(sku__in=["A-2", "A-3"]).exists()
    assert run_import("products", content).counts == {"unchanged": 1, "error": 2}


def test_price_list_items_by_list_sku_and_quantity(company, admin, run_import, products):
    catalog.price_list_create(company=company, actor=admin, name="Dealers", currency="CNY")
    header = ["价目表", "产品编码", "起订量", "单价"]
    rows = [
        ["Dealers", "P0", "0", "9.5"],
        ["Dealers", "P0", "100", "8"],
        ["Dealers", "NOPE", "", "1"],
    ]

    job = run_import("price_list_items", csv_bytes(header, rows))

    assert [a for _n, a, _m in outcomes(job)] == ["create", "create", "error"]
    # the reason names the field in the reader's words, never the code's "product"
    reason = outcomes(job)[-1][2]
    assert "NOPE" in reason
    assert not reason.startswith("product:")
    assert PriceListItem.objects.for_company(company).count() == 2
    assert run_import("price_list_items", csv_bytes(header, rows[:2])).counts == {"unchanged": 2}
    changed = run_import("price_list_items", csv_bytes(header, [["Dealers", "P0", "100", "7.5"]]))
    assert changed.counts == {"update": 1}
    assert PriceListItem.objects.for_company(company).count() == 2


def test_opening_stock_is_a_count(company, run_import, products):
    warehouse = Warehouse.objects.for_company(company).first()
    header = ["仓库", "产品编码", "数量"]
    rows = [[warehouse.code, "P0", "40"], [warehouse.code, "P1", "-3"]]

    job = run_import("opening_stock", csv_bytes(header, rows))

    assert [a for _n, a, _m in outcomes(job)] == ["create", "error"]
    level = StockLevel.objects.for_company(company).get(product=products[0])
    assert level.on_hand == Decimal("40")
    assert run_import("opening_stock", csv_bytes(header, rows[:1])).counts == {"unchanged": 1}


def test_orders_grouped_by_reference_and_credit_limit(
    company, admin, run_import, customer, products
):
    company.credit_policy = "block"
    company.save()
    customer.credit_limit = Decimal("100")
    customer.save()
    header = ["客户代码", "客户订单号", "产品编码", "数量"]
    rows = [
        [customer.code, "PO-1", "P0", "2"],
        [customer.code, "PO-1", "P1", "1"],
        [customer.code, "PO-2", "P0", "500"],  # far over the credit limit
    ]

    job = run_import("orders", csv_bytes(header, rows))

    actions = [a for _n, a, _m in outcomes(job)]
    assert actions == ["create", "create", "error"]
    orders = SalesOrder.objects.for_company(company).filter(customer=customer)
    assert orders.count() == 1
    assert orders.get().customer_reference == "PO-1"
    assert run_import("orders", csv_bytes(header, rows[:2])).counts == {"unchanged": 2}


@pytest.mark.slow  # ~100 s of CPU: every row is a customer_create (audit, event, savepoints)
def test_ten_thousand_rows(company, run_import):
    rows = [[f"B-{i:05d}", f"Customer {i}", f"138{i:08d}"] for i in range(10_000)]
    rows[9_999] = ["B-09999", "customer 17", ""]  # the name of row 19, 9,980 rows earlier

    job = run_import("customers", csv_bytes(["code", "name", "phone"], rows), apply=False)

    assert job.counts == {"create": 9_999, "error": 1}
    assert job.rows.count() == 10_000
    assert "B-00017" in job.rows.get(number=10_001).message


def test_price_rows_go_through_price_list_item_set(company, admin, run_import, products):
    from ordercrm.core.models import AuditEntry

    price_list = catalog.price_list_create(
        company=company, actor=admin, name="Dealers", currency="CNY"
    )
    header = ["价目表", "产品编码", "起订量", "单价", "生效日期"]
    rows = [["Dealers", "P0", "5", "8", ""], ["Dealers", "P0", "5", "7", "2027-01-01"]]

    job = run_import("price_list_items", csv_bytes(header, rows))

    assert job.counts == {"create": 2}
    entries = AuditEntry.objects.for_company(company).filter(
        entity_id=str(price_list.pk), action="set_price", source="import"
    )
    labels = {label for entry in entries for label in entry.changes}
    assert labels == {"P0@5", "P0@5/2027-01-01"}  # price_list_item_set's own entries
    # the dated tier is part of the natural key: again, both rows are unchanged
    assert run_import("price_list_items", csv_bytes(header, rows)).counts == {"unchanged": 2}
    assert PriceListItem.objects.for_company(company).filter(price_list=price_list).count() == 2
