"""An after-sales case in Chromium (issue 18, items 1, 6, 7): from a shipped order's page
the agent opens a case on two of its lines with a photo, replies to the customer, waits on
them (the SLA clock pauses), logs their answer (it resumes) and resolves the case; the desk
and the customer 360 show it. English at 1280 px, Simplified Chinese at 375 px.
Screenshots: ``test-artifacts/screenshots/case-*.png``."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.models import Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.service.models import Case, CaseAttachment, CaseLine
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SIZES = {
    "en": {"viewport": {"width": 1280, "height": 900}},
    "zh-hans": {"viewport": {"width": 375, "height": 740}, "is_mobile": True},
}
WORDS = {
    "en": {
        "opened": "opened.",
        "added": "Your message was added",
        "waiting": "Waiting on customer",
        "paused": "Paused while waiting on the customer",
        "in_progress": "In progress",
        "resolved": "Resolved",
        "warranty": "No warranty term",
        "kind_customer": "customer",
    },
    "zh-hans": {
        "opened": "已新建",
        "added": "您的消息已添加",
        "waiting": "等待客户答复",
        "paused": "等待客户答复期间暂停计时",
        "in_progress": "处理中",
        "resolved": "已解决",
        "warranty": "无保修条款",
        "kind_customer": "customer",
    },
}


@pytest.fixture
def shipped(company, make_user, make_order, products, rep):
    keeper = make_user(Role.WAREHOUSE, company, username="keeper-b")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 50} for p in products],
    )
    order = sales.order_submit(order=make_order(n_lines=3), actor=rep)
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    return order


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_case_from_an_order_to_resolved(
    browser, live_server, company, make_user, team, shipped, language, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    words = WORDS[language]
    agent = make_user(Role.SUPPORT, company, username="agent-b", team=team, language=language)
    photo = tmp_path / "damage.jpg"
    photo.write_bytes(PNG)
    context = browser.new_context(
        locale="zh-CN" if language == "zh-hans" else "en-US", **SIZES[language]
    )
    page = login(context, live_server, agent.username)
    # the support desk is in the navigation
    page.click("nav >> a[href='/service/']")
    page.wait_for_url("**/service/")
    # 1. from the order page: a new case on two of its lines, with a photo
    page.goto(f"{live_server.url}/orders/{shipped.pk}/")
    page.click("#new-case")
    lines = list(shipped.lines.order_by("position"))
    page.fill("#subject", "Scratched casing")
    page.select_option("#priority", "high")
    page.fill(f"#qty_{lines[0].pk}", "1")
    page.fill(f"#qty_{lines[1].pk}", "2")
    page.set_input_files("#files", str(photo))
    # a quantity above the ordered one is refused in place, nothing is written
    page.fill(f"#qty_{lines[2].pk}", "999")
    page.click("#open-case")
    assert page.locator("#case-lines .error").count() == 1
    assert not Case.objects.for_company(company).exists()
    page.fill(f"#qty_{lines[2].pk}", "")
    page.set_input_files("#files", str(photo))
    page.click("#open-case")
    page.wait_for_url("**/service/cases/*/")
    assert words["opened"] in page.content()
    case = Case.objects.for_company(company).get()
    assert sorted(CaseLine.objects.for_company(company).values_list("quantity", flat=True)) == [
        Decimal("1"),
        Decimal("2"),
    ]
    assert CaseAttachment.objects.for_company(company).get().content_type == "image/png"
    assert page.locator("#case-lines tbody tr").count() == 2
    assert words["warranty"] in page.locator("#case-lines").inner_text()
    assert page.locator("#returns").is_visible()
    shot(page, f"case-opened-{language}")
    # 2. a reply to the customer
    page.fill("#body", "We are sending new casings.")
    page.click("#send-reply")
    assert words["added"] in page.content()
    assert words["in_progress"] in page.locator("#case-status").inner_text()
    # 3. waiting on the customer: the clock pauses
    page.click("#action-wait")
    assert words["waiting"] in page.locator("#case-status").inner_text()
    assert words["paused"] in page.locator("#resolution-due").inner_text()
    # 4. the customer's answer, logged by the agent, resumes the case
    page.select_option("#kind", "customer")
    page.fill("#body", "Thanks, the address is unchanged.")
    page.click("#send-reply")
    assert words["in_progress"] in page.locator("#case-status").inner_text()
    # 5. resolved, with the resolution
    page.fill("#note-resolve", "New casings delivered.")
    page.click("#action-resolve")
    assert words["resolved"] in page.locator("#case-status").inner_text()
    assert "New casings delivered." in page.locator("#resolution").inner_text()
    shot(page, f"case-resolved-{language}")
    types = set(
        Event.objects.for_company(company)
        .filter(entity_id=str(case.pk))
        .values_list("type", flat=True)
    )
    assert {
        "case.created",
        "case.replied",
        "case.waiting",
        "case.sla_paused",
        "case.sla_resumed",
        "case.resolved",
    } <= types
    # the order page lists the case
    page.goto(f"{live_server.url}/orders/{shipped.pk}/")
    assert case.number in page.locator("#order-cases").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[language]["viewport"]["width"]
    context.close()
