"""Settings pages: every section renders for an administrator, each form calls its service
(and bad input is an inline error that changes nothing), and other roles are refused."""

import pytest
from django.urls import reverse

from ordercrm.accounts.models import Membership, SalesTeam, User
from ordercrm.catalog.models import TaxRate
from ordercrm.core.models import AuditEntry, Company, NumberSequence
from ordercrm.inventory.models import Warehouse
from ordercrm.notifications.models import EmailTemplate
from ordercrm.sales.models import ApprovalRule
from ordercrm.web.settings_pages import SECTIONS


@pytest.mark.parametrize("section", [key for key, _label in SECTIONS])
def test_every_section_renders_for_an_admin_and_is_refused_to_a_rep(client, admin, rep, section):
    client.force_login(admin)
    response = client.get(reverse("settings_section", args=[section]))
    assert response.status_code == 200
    assert b"<form" in response.content
    client.force_login(rep)
    assert client.get(reverse("settings_section", args=[section])).status_code == 403
    assert client.post(reverse("settings_section", args=[section]), {}).status_code == 403


def test_company_settings_change_is_validated_and_audited(client, admin, company):
    client.force_login(admin)
    url = reverse("settings_section", args=["company"])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"name": "Renamed Co", "approval_threshold": "5000", "timezone": "Asia/Shanghai"})
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    assert client.post(url, data).status_code == 302
    company.refresh_from_db()
    assert (company.name, company.approval_threshold) == ("Renamed Co", 5000)
    assert AuditEntry.all_objects.filter(entity_id=str(company.pk), action="update").exists()
    # the same form again (a second tab read before the save) is refused, nothing changes
    response = client.post(url, {**data, "name": "Other tab"})
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    assert Company.objects.get(pk=company.pk).name == "Renamed Co"
    data["version"] = client.get(url).context["form"].initial["version"]
    data["timezone"] = "Mars/Olympus"
    response = client.post(url, data)
    assert response.status_code == 422
    assert "Unknown time zone." in response.content.decode()
    assert Company.objects.get(pk=company.pk).timezone == "Asia/Shanghai"


def test_users_teams_and_membership_changes(client, admin, rep, company):
    client.force_login(admin)
    url = reverse("settings_section", args=["teams"])
    assert client.post(url, {"name": "Export desk"}).status_code == 302
    team = SalesTeam.all_objects.get(name="Export desk")
    url = reverse("settings_section", args=["users"])
    response = client.post(
        url,
        {
            "username": "newrep",
            "password": "a-Long-pass-2026",
            "role": "sales_rep",
            "team": team.pk,
        },
    )
    assert response.status_code == 302
    member = Membership.objects.get(user__username="newrep", company=company)
    assert (member.role, member.team_id) == ("sales_rep", team.pk)
    # a weak password is refused inline
    response = client.post(url, {"username": "weak", "password": "1", "role": "sales_rep"})
    assert response.status_code == 422
    assert not User.objects.filter(username="weak").exists()
    # change the role and scope, then deactivate
    prefix = str(member.pk)
    client.post(
        url,
        {
            "membership": member.pk,
            f"{prefix}-role": "sales_manager",
            f"{prefix}-team": team.pk,
            f"{prefix}-record_scope": "team",
        },
    )
    member.refresh_from_db()
    assert (member.role, member.record_scope) == ("sales_manager", "team")
    client.post(url, {"membership": member.pk, "deactivate": "1"})
    member.refresh_from_db()
    assert not member.is_active
    # an admin cannot lock themself out
    own = Membership.objects.get(user=admin, company=company)
    response = client.post(url, {"membership": own.pk, "deactivate": "1"})
    assert response.status_code == 422
    own.refresh_from_db()
    assert own.is_active


def test_rules_tax_rates_warehouses_numbering_and_email_templates(client, admin, company):
    client.force_login(admin)

    def post(section, data):
        return client.post(reverse("settings_section", args=[section]), data)

    assert (
        post(
            "approval_rules",
            {
                "name": "Big",
                "kind": "order_total",
                "threshold": "10000",
                "roles": ["sales_manager"],
            },
        ).status_code
        == 302
    )
    rule = ApprovalRule.all_objects.get(name="Big")
    assert [s.role for s in rule.steps.all()] == ["sales_manager"]
    post("approval_rules", {"toggle": rule.pk})
    rule.refresh_from_db()
    assert not rule.is_active

    assert post("tax_rates", {"name": "VAT 6", "rate": "6"}).status_code == 302
    assert TaxRate.all_objects.filter(company=company, name="VAT 6").exists()
    assert post("tax_rates", {"name": "Odd", "rate": "150"}).status_code == 422
    assert not TaxRate.all_objects.filter(name="Odd").exists()

    assert post("warehouses", {"code": "sz", "name": "Shenzhen", "sequence": 20}).status_code == 302
    assert post("warehouses", {"code": "sz", "name": "Again", "sequence": 20}).status_code == 422
    assert Warehouse.all_objects.filter(company=company, code="sz").count() == 1

    assert post("numbering", {"key": "SO", "year": 2026, "next_value": 1000}).status_code == 302
    sequence = NumberSequence.all_objects.get(company=company, key="SO", year=2026)
    assert sequence.last_value == 999
    assert post("numbering", {"key": "SO", "year": 2026, "next_value": 5}).status_code == 422
    sequence.refresh_from_db()
    assert sequence.last_value == 999

    assert (
        post(
            "email_templates",
            {
                "kind": "order_confirmation",
                "language": "en",
                "subject": "Order {{ order.number }}",
                "body": "Thanks",
            },
        ).status_code
        == 302
    )
    assert (
        post(
            "email_templates",
            {"kind": "invoice", "language": "en", "subject": "{% if %}", "body": "x"},
        ).status_code
        == 422
    )
    assert EmailTemplate.all_objects.filter(company=company).count() == 1


def test_a_user_manager_revokes_a_members_token_but_not_an_outsiders(
    client, admin, rep, company, other_company, make_user
):
    from ordercrm.accounts.models import ApiToken
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.tokens import token_create

    token, _raw = token_create(user=rep, name="shop sync")
    outsider = make_user(Role.SALES_REP, other_company, username="elsewhere")
    foreign, _raw = token_create(user=outsider, name="theirs")
    client.force_login(admin)
    url = reverse("settings_section", args=["api_tokens"])
    page = client.get(url).content.decode()
    assert "shop sync" in page
    assert "theirs" not in page
    assert token.prefix in page
    assert client.post(url, {"revoke": token.pk}).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.post(url, {"revoke": foreign.pk}).status_code == 404
    assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None
