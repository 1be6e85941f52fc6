import pytest

from ordercrm.accounts import services
from ordercrm.accounts.roles import ROLE_PERMISSIONS, RecordScope, Role
from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.customers.models import Customer


def test_every_role_is_a_django_group_with_exactly_its_permissions(db):
    from django.contrib.auth.models import Group

    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=f"role:{role}")
        assert set(group.permissions.values_list("codename", flat=True)) == set(perms)


def test_roles_grant_what_the_job_needs(make_user, company, access_of):
    rep = access_of(make_user(Role.SALES_REP, company), company)
    finance = access_of(make_user(Role.FINANCE, company), company)
    viewer = access_of(make_user(Role.VIEWER, company), company)
    assert rep.can(Perm.ORDER_EDIT)
    assert not rep.can(Perm.ORDER_APPROVE)
    assert finance.can(Perm.ORDER_APPROVE)
    assert finance.can(Perm.CREDIT_CONTROL)
    assert not viewer.can(Perm.CUSTOMER_EDIT)
    with pytest.raises(PermissionDenied) as raised:
        viewer.require(Perm.CUSTOMER_EDIT)
    assert raised.value.code == "core.permission_denied"
    assert rep.scope == RecordScope.OWN
    assert finance.scope == RecordScope.COMPANY


def test_a_non_member_has_no_rights_and_is_told_not_found(
    make_user, company, other_company, access_of
):
    outsider = make_user(Role.ADMIN, other_company)
    access = access_of(outsider, company)
    assert not access.is_member
    with pytest.raises(NotFound):
        access.require(Perm.CUSTOMER_VIEW)


def test_record_scope_own_team_company(make_user, company, make_customer, access_of):
    team = services.team_create(company=company, name="East")
    other_team = services.team_create(company=company, name="West")
    rep = make_user(Role.SALES_REP, company, team=team)
    teammate = make_user(Role.SALES_REP, company, team=team)
    stranger = make_user(Role.SALES_REP, company, team=other_team)
    manager = make_user(Role.SALES_MANAGER, company, team=team)
    finance = make_user(Role.FINANCE, company)
    own = make_customer(company, actor=rep, name="Own")
    mate = make_customer(company, actor=teammate, name="Mate")
    far = make_customer(company, actor=stranger, name="Far")

    def visible(user):
        rows = Customer.objects.for_company(company).filter(
            access_of(user, company).owner_filter("owner", "team")
        )
        return set(rows.values_list("name", flat=True))

    assert visible(rep) == {"Own"}
    assert visible(manager) == {"Own", "Mate"}
    assert visible(finance) == {"Own", "Mate", "Far"}
    assert {own.team, mate.team, far.team} == {team, other_team}


def test_user_create_validates(company, admin):
    with pytest.raises(ValidationFailed) as raised:
        services.user_create(
            username="weak", password="123", company=company, role=Role.VIEWER, actor=admin
        )
    assert "password" in raised.value.details["fields"]
    with pytest.raises(ValidationFailed) as raised:
        services.user_create(
            username="x", password="a long good password", company=company, role="king"
        )
    assert raised.value.code == "accounts.invalid_role"
    with pytest.raises(ValidationFailed) as raised:
        services.user_create(
            username="BOSS", password="a long good password", company=company, role=Role.VIEWER
        )
    assert raised.value.code == "accounts.username_taken"


def test_only_user_managers_create_users(make_user, company):
    rep = make_user(Role.SALES_REP, company)
    with pytest.raises(PermissionDenied):
        services.user_create(
            username="new",
            password="a long good password",
            company=company,
            role=Role.ADMIN,
            actor=rep,
        )
