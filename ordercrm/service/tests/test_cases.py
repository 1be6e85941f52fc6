"""Case services: creation with order lines, refusals that change nothing, actions, the
reopen window, comments, attachments (sniffed), warranty, and the record scope."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import DomainError, NotFound, PermissionDenied
from ordercrm.core.models import AuditEntry, Event
from ordercrm.service import selectors, services
from ordercrm.service.models import Case, CaseAttachment, CaseComment, CaseLine
from ordercrm.service.workflow import CaseStatus

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def lines_of(order):
    return list(order.lines.order_by("position"))


def create(company, agent, order, **values):
    first, second = lines_of(order)
    values.setdefault(
        "lines",
        [
            {"order_line_id": str(first.pk), "quantity": "1"},
            {"order_line_id": str(second.pk), "quantity": "2"},
        ],
    )
    return services.case_create(
        company=company,
        actor=agent,
        customer=order.customer,
        order=order,
        subject="Two units arrived scratched",
        **values,
    )


def test_a_case_names_an_order_and_quantities_of_its_lines(company, agent, shipped_order):
    case = create(company, agent, shipped_order)
    assert case.number == f"CS-{datetime.date.today().year}-000001"
    assert case.status == CaseStatus.NEW
    assert case.contact == shipped_order.contact
    assert sorted(CaseLine.objects.for_company(company).values_list("quantity", flat=True)) == [
        Decimal("1"),
        Decimal("2"),
    ]
    assert Event.objects.for_company(company).filter(type="case.created").count() == 1
    assert AuditEntry.objects.for_company(company).filter(entity_type="service.case").count() == 1
    second = create(company, agent, shipped_order, lines=[])
    assert second.number.endswith("000002")


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"quantity": "99"}, "core.validation_failed"),
        ({"quantity": "0"}, "core.validation_failed"),
        ({"quantity": "abc"}, "core.validation_failed"),
        ({"order_line_id": "not-an-id"}, "core.validation_failed"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(company, agent, shipped_order, bad, code):
    first = lines_of(shipped_order)[0]
    line = {"order_line_id": str(first.pk), "quantity": "1", **bad}
    with pytest.raises(DomainError) as refused:
        create(company, agent, shipped_order, lines=[line])
    assert refused.value.code == code
    assert "lines" in refused.value.details
    assert not Case.objects.for_company(company).exists()
    assert not Event.objects.for_company(company).filter(type__startswith="case.").exists()


def test_a_line_named_twice_and_an_order_of_another_customer(
    company, agent, shipped_order, make_customer
):
    first = lines_of(shipped_order)[0]
    twice = [{"order_line_id": str(first.pk), "quantity": "1"}] * 2
    with pytest.raises(DomainError):
        create(company, agent, shipped_order, lines=twice)
    other = make_customer(company, name="Someone else")
    with pytest.raises(DomainError) as refused:
        services.case_create(
            company=company, actor=agent, customer=other, order=shipped_order, subject="x"
        )
    assert refused.value.code == "service.order_of_another_customer"
    assert not Case.objects.for_company(company).exists()


def test_only_ticket_editors_open_cases(company, make_user, shipped_order):
    viewer = make_user(Role.VIEWER, company)
    with pytest.raises(PermissionDenied):
        create(company, viewer, shipped_order)


def test_actions_follow_the_table_and_repeat_as_noops(company, agent, shipped_order):
    case = create(company, agent, shipped_order)
    case = services.case_action(case=case, actor=agent, action="start", version=case.version)
    version = case.version
    again = services.case_action(case=case, actor=agent, action="start", version=1)
    assert again.version == version  # no second effect, stale version or not
    with pytest.raises(DomainError) as refused:
        services.case_action(case=case, actor=agent, action="close")
    assert refused.value.code == "service.invalid_transition"
    with pytest.raises(DomainError) as stale:
        services.case_action(case=case, actor=agent, action="wait", version=version - 1)
    assert stale.value.code == "service.stale_version"
    with pytest.raises(DomainError) as no_note:
        services.case_action(case=case, actor=agent, action="resolve")
    assert no_note.value.details["fields"]["note"]
    case = services.case_action(case=case, actor=agent, action="resolve", note="Replaced.")
    assert case.status == CaseStatus.RESOLVED
    assert case.resolution == "Replaced."
    case = services.case_action(case=case, actor=agent, action="close")
    assert case.status == CaseStatus.CLOSED


def test_reopen_only_within_the_window(company, agent, shipped_order):
    with time_machine.travel(datetime.datetime(2026, 11, 9, 9, tzinfo=datetime.UTC), tick=False):
        case = create(company, agent, shipped_order)
        case = services.case_action(case=case, actor=agent, action="resolve", note="Fixed")
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC), tick=False):
        reopened = services.case_action(case=case, actor=agent, action="reopen")
        assert reopened.status == CaseStatus.IN_PROGRESS
        case = services.case_action(case=reopened, actor=agent, action="resolve", note="Again")
    late = datetime.datetime(2026, 12, 20, 9, tzinfo=datetime.UTC)
    with time_machine.travel(late, tick=False), pytest.raises(DomainError) as refused:
        services.case_action(case=case, actor=agent, action="reopen")
    assert refused.value.code == "service.reopen_window_passed"
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_attachments_are_sniffed_and_sized(company, agent, shipped_order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = create(company, agent, shipped_order)
    photo = SimpleUploadedFile("damage.jpeg", PNG, content_type="image/jpeg")
    comment = services.case_comment_add(
        case=case, actor=agent, body="See the photo.", files=[photo]
    )
    stored = CaseAttachment.objects.for_company(company).get()
    assert stored.content_type == "image/png"
    assert stored.name == "damage.png"
    assert stored.comment == comment
    assert stored.file.read() == PNG
    fake = SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(DomainError) as refused:
        services.case_attach(case=case, actor=agent, files=[fake])
    assert refused.value.code == "service.attachment_refused"
    settings.SERVICE_ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(DomainError):
        services.case_attach(case=case, actor=agent, files=[SimpleUploadedFile("big.pdf", PDF)])
    assert CaseAttachment.objects.for_company(company).count() == 1
    assert CaseComment.objects.for_company(company).count() == 1


def test_a_reply_is_the_first_response(company, agent, shipped_order):
    case = create(company, agent, shipped_order)
    services.case_comment_add(case=case, actor=agent, body="Internal", kind="internal")
    case.refresh_from_db()
    assert case.first_response_at is None
    assert case.status == CaseStatus.NEW
    services.case_comment_add(case=case, actor=agent, body="We send new ones.")
    case.refresh_from_db()
    assert case.first_response_at is not None
    assert case.status == CaseStatus.IN_PROGRESS
    replied = Event.objects.for_company(company).get(type="case.replied")
    assert replied.payload["kind"] == "reply"  # emailed: notifications/tests/test_case_emails


def test_warranty_from_the_dispatch_date(company, agent, admin, shipped_order, products):
    from ordercrm.catalog.models import Category

    category = Category.objects.for_company(company).create(company=company, name="Tools")
    products[1].category = category
    products[1].save()
    services.warranty_term_set(company=company, actor=admin, product=products[0], months=12)
    services.warranty_term_set(company=company, actor=admin, category=category, months=1)
    case = create(company, agent, shipped_order)
    views = {v.order_line.product_id: v for v in selectors.case_lines(case)}
    assert views[products[0].pk].warranty_months == 12
    assert views[products[0].pk].in_warranty is True
    assert views[products[1].pk].warranty_months == 1
    dispatched = views[products[0].pk].dispatched_on
    assert views[products[0].pk].warranty_until == selectors.add_months(dispatched, 12)
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=60)):
        late = create(company, agent, shipped_order)
    late_views = {v.order_line.product_id: v for v in selectors.case_lines(late)}
    assert late_views[products[1].pk].in_warranty is False
    assert late_views[products[0].pk].in_warranty is True


def test_cases_are_seen_through_the_customers_one_may_see(
    company, agent, shipped_order, make_user, access_of, other_company
):
    case = create(company, agent, shipped_order)
    stranger = make_user(Role.SALES_REP, company)  # own scope, not the customer's owner
    assert not selectors.case_list(access_of(stranger, company)).exists()
    with pytest.raises(NotFound):
        selectors.case_get(access_of(stranger, company), case.pk)
    assert selectors.case_get(access_of(agent, company), case.pk) == case
    outsider = make_user(Role.ADMIN, other_company)
    with pytest.raises(NotFound):
        selectors.case_get(access_of(outsider, other_company), case.pk)
