"""The per-process typesetter (one font set-up and parsed stylesheet for every document)
carries nothing from one document into the next: not a company, not a language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core import documents
from ordercrm.sales import services as sales
from ordercrm.sales.documents import render_order_pdf
from tests.pdf import pdf_fonts, pdf_text


@pytest.fixture
def two_orders(company, other_company, make_user, make_customer, make_product):
    orders = []
    for owner, customer_name, product_name, language in (
        (company, "上海明达机电设备有限公司", "不锈钢球阀 DN50", "zh-hans"),
        (other_company, "Globex Pump Works", "Bronze gate valve", "en"),
    ):
        user = make_user(Role.ADMIN, owner)
        customer = make_customer(owner, actor=user, name=customer_name, language=language)
        product = make_product(owner, name=product_name, list_price=Decimal("99.00"))
        orders.append(
            sales.order_create(
                company=owner, actor=user, customer=customer, lines=[{"product": product}]
            )
        )
    return orders


def test_one_typesetter_keeps_companies_and_languages_apart(two_orders):
    chinese, english = two_orders
    typesetter = documents.typesetter()
    first_pdf, second_pdf = render_order_pdf(chinese), render_order_pdf(english)
    first, first_fonts = pdf_text(first_pdf), pdf_fonts(first_pdf)
    second, second_fonts = pdf_text(second_pdf), pdf_fonts(second_pdf)
    again = pdf_text(render_order_pdf(chinese, "zh-hant"))
    assert documents.typesetter() is typesetter  # the same set-up served all three

    assert "上海明达机电设备有限公司" in first
    assert "不锈钢球阀 DN50" in first
    assert "报价单" in first
    assert "Globex" not in first

    assert "Globex Pump Works" in second
    assert "Bronze gate valve" in second
    assert "Quotation" in second
    for foreign in ("上海明达", "不锈钢", "Acme", "报价单"):
        assert foreign not in second, foreign

    assert "報價單" in again  # the Traditional labels, the customer's own name as written
    assert "报价单" not in again
    assert "Globex" not in again

    # embedded fonts: subsets only; the Simplified document in the SC face
    assert "Noto-Sans-CJK-SC" in first_fonts
    rows = [row.split()[0] for row in second_fonts.splitlines()[2:]]
    assert rows
    assert all("+" in name for name in rows)


def test_the_cached_path_prints_what_the_uncached_one_did(two_orders):
    chinese, _english = two_orders
    cached = pdf_text(render_order_pdf(chinese))
    with documents.uncached():
        before = pdf_text(render_order_pdf(chinese))
    assert cached.split() == before.split()
