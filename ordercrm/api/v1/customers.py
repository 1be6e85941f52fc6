"""API v1: the caller (``/me``) and customers with their contacts and addresses."""

from __future__ import annotations

from ninja import Router, Status

from ordercrm.accounts.models import Membership
from ordercrm.api.base import Loaded, page, version_from
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import parse_decimal, with_errors
from ordercrm.customers import selectors
from ordercrm.customers.services import address_add, contact_add, customer_create, customer_update

router = Router()


@router.get("/me", response=with_errors({200: s.MeOut}), tags=["me"])
def me(request):
    user = request.user
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("company")
    return Loaded(user, memberships=list(memberships))


@router.get("/customers", response=with_errors({200: s.CustomerPage}), tags=["customers"])
def customers_list(request, search: str = "", limit: int = 50, cursor: str | None = None):
    return page(selectors.customer_list(request.access, search=search), limit, cursor)


@router.post("/customers", response=with_errors({201: s.CustomerOut}), tags=["customers"])
def customers_create(request, body: s.CustomerIn):
    values = body.dict(exclude_unset=True)
    allow = values.pop("allow_duplicate", False)
    if "credit_limit" in values:
        values["credit_limit"] = parse_decimal(values["credit_limit"], "credit_limit")
    customer = customer_create(
        company=request.company, actor=request.user, allow_duplicate=allow, **values
    )
    return Status(201, customer)


@router.get(
    "/customers/{customer_id}", response=with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_get(request, customer_id: str):
    return selectors.customer_get(request.access, customer_id)


@router.patch(
    "/customers/{customer_id}", response=with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_update(request, customer_id: str, body: s.CustomerPatch):
    customer = selectors.customer_get(request.access, customer_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if "credit_limit" in values:
        values["credit_limit"] = parse_decimal(values["credit_limit"], "credit_limit")
    return customer_update(customer=customer, actor=request.user, version=version, **values)


@router.get(
    "/customers/{customer_id}/contacts",
    response=with_errors({200: list[s.ContactOut]}),
    tags=["customers"],
)
def contacts_list(request, customer_id: str):
    return list(selectors.customer_contacts(selectors.customer_get(request.access, customer_id)))


@router.post(
    "/customers/{customer_id}/contacts",
    response=with_errors({201: s.ContactOut}),
    tags=["customers"],
)
def contacts_add(request, customer_id: str, body: s.ContactIn):
    customer = selectors.customer_get(request.access, customer_id)
    return Status(201, contact_add(customer=customer, actor=request.user, **body.dict()))


@router.get(
    "/customers/{customer_id}/addresses",
    response=with_errors({200: list[s.AddressOut]}),
    tags=["customers"],
)
def addresses_list(request, customer_id: str):
    return list(selectors.customer_addresses(selectors.customer_get(request.access, customer_id)))


@router.post(
    "/customers/{customer_id}/addresses",
    response=with_errors({201: s.AddressOut}),
    tags=["customers"],
)
def addresses_add(request, customer_id: str, body: s.AddressIn):
    customer = selectors.customer_get(request.access, customer_id)
    return Status(201, address_add(customer=customer, actor=request.user, **body.dict()))
