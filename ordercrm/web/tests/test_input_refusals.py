"""Web input that answered 500: each is now a 4xx with the reason inline (or a 404), and
nothing is saved."""

from django.urls import reverse

from ordercrm.sales.models import SalesOrder


def test_a_quantity_beyond_the_column_is_refused_inline_and_saves_nothing(
    client, rep, customer, stocked
):
    client.force_login(rep)
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["P0"],
            "quantity": ["99999999999999"],
            "discount": ["0"],
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert "at most 12 digits before the decimal point" in response.content.decode()
    assert not SalesOrder.objects.for_company(customer.company_id).exists()


def test_a_malformed_delete_button_deletes_nothing(client, rep, customer, stocked):
    client.force_login(rep)
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["P0"],
            "quantity": ["1"],
            "discount": ["0"],
            "action": "delete:abc",
        },
    )
    assert response.status_code == 200
    assert 'value="P0"' in response.content.decode()  # the line is still there


def test_an_unknown_stock_page_is_404(client, admin):
    client.force_login(admin)
    assert client.get("/stock/nope/").status_code == 404


def test_a_malformed_export_date_is_refused_inline(client, admin):
    client.force_login(admin)
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("order_export", args=[fmt]), {"from": "2026-99-99"})
        assert response.status_code == 422
        assert "Enter a valid date." in response.content.decode()


def test_nul_in_a_filter_or_a_form_is_a_400_and_saves_nothing(client, rep, customer, stocked):
    client.force_login(rep)
    assert client.get(reverse("order_list"), {"q": "a\x00b"}).status_code == 400
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["P0"],
            "quantity": ["1"],
            "customer_reference": "PO\x00",
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not SalesOrder.objects.for_company(customer.company_id).exists()


def test_an_over_long_reference_is_refused_inline(client, rep, customer, stocked):
    client.force_login(rep)
    response = client.post(
        reverse("order_new"),
        {
            "customer": str(customer.pk),
            "sku": ["P0"],
            "quantity": ["1"],
            "customer_reference": "x" * 65,
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert "at most 64 characters" in response.content.decode()
    assert not SalesOrder.objects.for_company(customer.company_id).exists()
