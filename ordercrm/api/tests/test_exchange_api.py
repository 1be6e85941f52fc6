"""Multi-currency settlement over the API (#17): invoices, payments and their allocations
carry their company-currency amounts and exchange differences; the realised differences of
a period; every answer matches the OpenAPI document."""

from decimal import Decimal

from ordercrm.accounts.roles import Role
from ordercrm.billing import services as billing
from ordercrm.core.dates import company_today


def test_payment_at_another_rate_shows_its_exchange_difference(api, admin, customer, usd_invoice):
    usd_invoice = usd_invoice()  # 113.00 USD at 7.10
    call = api(admin)
    status, payment = call(
        "post",
        "/payments",
        {
            "customer_id": str(customer.pk),
            "amount": "113.00",
            "currency": "USD",
            "method": "bank_transfer",
            "exchange_rate": "7.20",
            "allocations": [{"invoice_id": str(usd_invoice.pk), "amount": "113.00"}],
        },
    )
    assert status == 201, payment
    assert payment["exchange_rate"] == "7.2"
    assert payment["amount_base"] == "813.60"
    assert payment["amount_allocated_base"] == "813.60"
    assert payment["unallocated_base"] == "0.00"
    [allocation] = payment["allocations"]
    assert allocation["invoice_number"] == usd_invoice.number
    assert allocation["currency"] == "USD"
    assert (
        allocation["amount"],
        allocation["base_amount"],
        allocation["invoice_base_amount"],
        allocation["exchange_difference"],
    ) == ("113.00", "813.60", "802.30", "11.30")

    status, invoice = call("get", f"/invoices/{usd_invoice.pk}")
    assert status == 200
    assert invoice["exchange_rate"] == "7.1"
    assert invoice["gross_total_base"] == "802.30"
    assert invoice["amount_paid_base"] == "802.30"
    assert invoice["open_base"] == "0.00"
    assert invoice["allocations"][0]["exchange_difference"] == "11.30"
    status, listed = call("get", "/invoices")
    assert listed["items"][0]["allocations"] is None  # lists do not load them

    status, again = call("get", f"/payments/{payment['id']}")
    assert status == 200
    assert again["allocations"][0]["payment_number"] == payment["number"]

    today = company_today(usd_invoice.company).isoformat()
    status, period = call("get", f"/exchange-differences?first={today}&last={today}")
    assert status == 200, period
    assert (period["currency"], period["gain"], period["loss"], period["net"]) == (
        "CNY",
        "11.30",
        "0.00",
        "11.30",
    )
    assert [i["exchange_difference"] for i in period["items"]] == ["11.30"]
    status, refused = call("get", f"/exchange-differences?first={today}&last=2000-01-01")
    assert status == 422
    assert refused["error"]["code"] == "core.validation_failed"


def test_exchange_difference_answers_match_the_openapi_document(
    client, api, admin, customer, usd_invoice
):
    usd_invoice = usd_invoice()
    import jsonschema_rs

    call = api(admin)
    billing.payment_record(
        company=usd_invoice.company,
        actor=admin,
        customer=customer,
        amount=Decimal("50.00"),
        currency="USD",
        method="cash",
        exchange_rate="7.00",
        allocations=[{"invoice": usd_invoice, "amount": "50.00"}],
    )
    doc = client.get("/api/v1/openapi.json").json()
    today = company_today(usd_invoice.company).isoformat()
    for path, template in (
        (f"/invoices/{usd_invoice.pk}", "/api/v1/invoices/{invoice_id}"),
        (f"/exchange-differences?first={today}&last={today}", "/api/v1/exchange-differences"),
    ):
        status, body = call("get", path)
        assert status == 200
        schema = doc["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]
        validator = jsonschema_rs.Draft202012Validator(
            {"allOf": [schema["schema"]], "components": doc["components"]}
        )
        assert validator.is_valid(body), list(validator.iter_errors(body))[:3]
    components = doc["components"]["schemas"]
    assert components["AllocationOut"]["examples"][0]["exchange_difference"] == "11.30"
    assert components["ExchangeDifferencesOut"]["examples"]


def test_exchange_differences_are_finance_s(api, make_user, company, usd_invoice):
    from ordercrm.accounts.roles import Role

    usd_invoice()
    today = company_today(company).isoformat()
    manager = make_user(Role.SALES_MANAGER, company, username="mgr")
    status, body = api(manager)("get", f"/exchange-differences?first={today}&last={today}")
    assert status == 403
    assert body["error"]["code"] == "core.permission_denied"
    finance = make_user(Role.FINANCE, company, username="fin")
    status, body = api(finance)("get", f"/exchange-differences?first={today}&last={today}")
    assert status == 200
    status, body = api(manager)("get", "/exports/exchange_differences")
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")


def test_revaluation_over_the_api(api, client, admin, make_user, company, usd_invoice):
    import jsonschema_rs

    usd_invoice("7.10")
    call = api(admin)
    today = company_today(company).isoformat()
    status, run = call("post", "/revaluations", {"date": today, "rates": {"USD": "7.25"}})
    assert status == 201, run
    assert (run["currency"], run["gain"], run["loss"], run["difference"]) == (
        "CNY",
        "16.95",
        "0.00",
        "16.95",
    )
    [line] = run["lines"]
    assert (line["open_base"], line["revalued_base"], line["rate"]) == ("802.30", "819.25", "7.25")
    status, again = call("post", "/revaluations", {"date": today, "rates": {"USD": "7.3"}})
    assert status == 409
    assert again["error"]["code"] == "billing.revaluation_exists"
    status, bad = call("post", "/revaluations", {"date": today, "rates": {"USD": "abc"}})
    assert (status, bad["error"]["code"]) == (422, "core.validation_failed")
    assert bad["error"]["details"]["fields"]["rates.USD"] == ["Enter a number."]
    status, listed = call("get", "/revaluations")
    assert status == 200
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    status, one = call("get", f"/revaluations/{run['id']}")
    assert status == 200
    doc = client.get("/api/v1/openapi.json").json()
    schema = doc["paths"]["/api/v1/revaluations/{revaluation_id}"]["get"]["responses"]["200"]
    validator = jsonschema_rs.Draft202012Validator(
        {
            "allOf": [schema["content"]["application/json"]["schema"]],
            "components": doc["components"],
        }
    )
    assert validator.is_valid(one), list(validator.iter_errors(one))[:3]
    manager = make_user(Role.SALES_MANAGER, company, username="mgr")
    status, refused = api(manager)("get", "/revaluations")
    assert (status, refused["error"]["code"]) == (403, "core.permission_denied")
