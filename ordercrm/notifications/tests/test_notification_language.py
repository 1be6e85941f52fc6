"""A notification reads in the language of who reads it, not of when it was sent (#15 item 12).

Given a manager asked (in Chinese) to approve an order and a rep told (in English) of the
rejection with its reason, when each opens the notification list in English and then in
Simplified Chinese, then every line is in that language; a row written before notifications
kept their message key still reads as it was worded.
"""

import pytest

from ordercrm.notifications import worker
from ordercrm.notifications.models import Notification
from ordercrm.sales import services as sales
from ordercrm.sales.models import RuleKind

WAITS = {"en": "waits for your approval", "zh-hans": "等待您的审批"}
REJECTED = {"en": "was rejected: price too low", "zh-hans": "已被驳回：price too low"}


@pytest.fixture
def told(company, admin, rep, manager, customer, stocked):
    sales.approval_rule_create(
        company=company, actor=admin, name="all", kind=RuleKind.ORDER_TOTAL, threshold=1
    )
    for user, language in ((manager, "zh-hans"), (rep, "en")):
        user.language = language
        user.save(update_fields=["language"])
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    order = sales.order_submit(order=order, actor=rep)
    worker.run_once()
    sales.order_reject(order=order, actor=manager, reason="price too low")
    worker.run_once()
    return order


def _page(client, user, language):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get("/notifications/").content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_reader_reads_every_notification_in_their_language_now(
    client, told, rep, manager, language
):
    html = _page(client, manager, language)
    assert WAITS[language] in html
    assert WAITS["zh-hans" if language == "en" else "en"] not in html
    html = _page(client, rep, language)
    assert REJECTED[language] in html
    assert REJECTED["zh-hans" if language == "en" else "en"] not in html


def test_a_row_from_before_message_keys_reads_as_it_was_sent(client, told, company, manager):
    note = Notification.objects.for_company(company).get(user=manager)
    Notification.objects.for_company(company).filter(pk=note.pk).update(message="", params={})
    assert "等待您的审批" in _page(client, manager, "en")  # its stored wording, not a blank
