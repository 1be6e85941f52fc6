"""Issue 15 item 12: a unit is named in the reader's language — the order confirmation in the
customer's language, whatever language the sender works in."""

from ordercrm.sales.documents import render_order_pdf


def test_the_order_document_names_units_in_the_customers_language(
    monkeypatch, company, rep, make_customer, make_product, make_order
):
    captured = {}

    def fake_render(template, context, language):
        captured.update(language=language, units=[row["unit"] for row in context["rows"]])
        return b"%PDF"

    monkeypatch.setattr("ordercrm.sales.documents.render_pdf", fake_render)
    order = make_order(n_lines=1)
    for language, expected in (("zh-hans", "件"), ("zh-hant", "件"), ("en", "pcs")):
        order.customer.language = language
        render_order_pdf(order)
        assert captured == {"language": language, "units": [expected]}


def test_kilograms_read_differently_in_each_script(company):
    from ordercrm.catalog.models import Unit

    kg = Unit.objects.for_company(company).get(code="kg")
    assert {lang: kg.label(lang) for lang in ("en", "zh-hans", "zh-hant", "zh-tw")} == {
        "en": "kg",
        "zh-hans": "千克",
        "zh-hant": "公斤",
        "zh-tw": "公斤",
    }
