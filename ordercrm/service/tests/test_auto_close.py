"""Resolved cases close by themselves after the company's ``close_after_days``: as the
system, with the audit entry and ``case.closed`` (automatic), once; 0 = never; a case reopened
or closed by hand in the meantime is left alone; the reopen window still applies after."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import AuditEntry, Event
from ordercrm.service import services
from ordercrm.service.models import Case, ServiceSettings

DAY = datetime.timedelta(days=1)


@pytest.fixture
def resolved(company, agent, customer):
    def make(subject="Scratched"):
        case = services.case_create(
            company=company, actor=agent, customer=customer, subject=subject
        )
        return services.case_action(case=case, actor=agent, action="resolve", note="Fixed.")

    return make


def current(case):
    return Case.objects.for_company(case.company_id).get(pk=case.pk)


def test_a_resolved_case_closes_after_the_window_once(company, resolved, admin):
    case = resolved()
    assert ServiceSettings.objects.for_company(company).get().close_after_days == 7
    assert services.cases_auto_close(now=case.resolved_at + 7 * DAY - datetime.timedelta(1)) == 0
    assert current(case).status == "resolved"
    at = case.resolved_at + 7 * DAY
    assert services.cases_auto_close(now=at) == 1
    closed = current(case)
    assert (closed.status, closed.closed_at, closed.version) == ("closed", at, case.version + 1)
    event = Event.objects.for_company(company).get(type="case.closed", entity_id=str(case.pk))
    assert event.payload["automatic"] is True
    assert event.payload["close_after_days"] == 7
    assert event.actor_id is None
    entry = AuditEntry.objects.for_company(company).get(entity_id=str(case.pk), action="close")
    assert entry.actor_id is None
    # a second run (another worker) closes nothing more
    assert services.cases_auto_close(now=at + DAY) == 0
    assert Event.objects.for_company(company).filter(type="case.closed").count() == 1


def test_the_company_sets_the_window_and_zero_means_never(
    company, resolved, admin, make_company, make_user, make_customer
):
    case = resolved()
    services.service_settings_update(company=company, actor=admin, close_after_days="2")
    assert services.cases_auto_close(now=case.resolved_at + 2 * DAY) == 1
    other = resolved("Dented")
    services.service_settings_update(company=company, actor=admin, close_after_days="0")
    assert services.cases_auto_close(now=other.resolved_at + 3650 * DAY) == 0
    assert current(other).status == "resolved"
    with pytest.raises(DomainError) as refused:
        services.service_settings_update(company=company, actor=admin, close_after_days="-1")
    assert "close_after_days" in refused.value.details["fields"]


def test_reopened_and_hand_closed_cases_are_left_alone(company, resolved, agent):
    reopened = resolved("Reopened")
    reopened = services.case_action(case=reopened, actor=agent, action="reopen")
    by_hand = resolved("Closed by hand")
    by_hand = services.case_action(case=by_hand, actor=agent, action="close")
    later = timezone.now() + 30 * DAY
    assert services.cases_auto_close(now=later) == 0
    assert current(reopened).status == "in_progress"
    assert current(by_hand).closed_at == by_hand.closed_at


def test_a_closed_case_can_still_be_reopened_within_the_reopen_window(company, resolved, agent):
    case = resolved()
    services.cases_auto_close(now=case.resolved_at + 7 * DAY)
    case = services.case_action(case=current(case), actor=agent, action="reopen")
    assert case.status == "in_progress"


def test_the_command_closes_what_is_due(company, resolved, capsys):
    case = resolved()
    Case.objects.for_company(company).filter(pk=case.pk).update(
        resolved_at=timezone.now() - 8 * DAY
    )
    call_command("close_resolved_cases")
    assert "1 case(s) closed" in capsys.readouterr().out
    assert current(case).status == "closed"


def test_the_window_is_set_on_the_service_levels_page(client, company, admin):
    client.force_login(admin)
    page = client.get("/service/settings/").content.decode()
    assert 'id="close_after_days"' in page
    form = {"form": "settings", "reopen_days": "14", "warning_percent": "80"}
    assert client.post("/service/settings/", {**form, "close_after_days": "3"}).status_code == 302
    assert ServiceSettings.objects.for_company(company).get().close_after_days == 3
    bad = client.post("/service/settings/", {**form, "close_after_days": "x"})
    assert bad.status_code == 422
    assert ServiceSettings.objects.for_company(company).get().close_after_days == 3
