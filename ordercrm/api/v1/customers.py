"""API v1: the caller (``/me``) and customers with their contacts and addresses."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.accounts.models import Membership
from ordercrm.api.base import Loaded, page, version_from
from ordercrm.api.v1 import schemas as s
from ordercrm.api.v1.common import parse_date, parse_decimal, payment_term_of, with_errors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import NotFound
from ordercrm.customers import selectors, services
from ordercrm.customers.models import Address, Contact
from ordercrm.customers.services import address_add, contact_add, customer_create, customer_update

router = Router()


def _tax_mapping(request, values: dict) -> None:
    """``tax_mapping_id`` in the body as the company's mapping (``None`` removes it); an
    unknown id, or another company's, is a 422 on the field and nothing changes."""
    from django.utils.translation import gettext as _

    from ordercrm.catalog.selectors import tax_mapping_get
    from ordercrm.core.exceptions import ValidationFailed

    if "tax_mapping_id" not in values:
        return
    wanted = values.pop("tax_mapping_id")
    if wanted is None:
        values["tax_mapping"] = None
        return
    try:
        values["tax_mapping"] = tax_mapping_get(request.access, wanted)
    except NotFound:
        raise ValidationFailed(
            details={"fields": {"tax_mapping_id": [_("Unknown tax mapping.")]}}
        ) from None


@router.get("/me", response=with_errors({200: s.MeOut}), tags=["me"])
def me(request):
    user = request.user
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("company")
    return Loaded(user, memberships=list(memberships))


@router.get("/customers", response=with_errors({200: s.CustomerPage}), tags=["customers"])
@decorate_view(reading_from_replica())
def customers_list(
    request,
    search: str = "",
    status: Literal["active", "inactive", "all"] = "active",
    limit: int = 50,
    cursor: str | None = None,
):
    """``status``: ``active`` (default), ``inactive`` or ``all``."""
    return page(
        selectors.customer_list(request.access, search=search, status=status), limit, cursor
    )


@router.post("/customers", response=with_errors({201: s.CustomerOut}), tags=["customers"])
def customers_create(request, body: s.CustomerIn):
    values = body.dict(exclude_unset=True)
    allow = values.pop("allow_duplicate", False)
    if "credit_limit" in values:
        values["credit_limit"] = parse_decimal(values["credit_limit"], "credit_limit")
    _tax_mapping(request, values)
    customer = customer_create(
        company=request.company, actor=request.user, allow_duplicate=allow, **values
    )
    return Status(201, customer)


@router.get(
    "/customers/{customer_id}", response=with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_get(request, customer_id: str):
    return selectors.customer_get(request.access, customer_id)


@router.post(
    "/customers/{customer_id}/block",
    response=with_errors({200: s.CustomerOut}),
    tags=["customers"],
)
def customers_block(request, customer_id: str, body: s.CustomerBlockIn):
    """Block until a date: quotations still, no orders (``customers.blocked``) before it."""
    customer = selectors.customer_get(request.access, customer_id)
    return services.customer_block(
        customer=customer,
        actor=request.user,
        until=parse_date(body.until, "until"),
        reason=body.reason,
    )


@router.post(
    "/customers/{customer_id}/unblock",
    response=with_errors({200: s.CustomerOut}),
    tags=["customers"],
)
def customers_unblock(request, customer_id: str):
    customer = selectors.customer_get(request.access, customer_id)
    return services.customer_unblock(customer=customer, actor=request.user)


@router.patch(
    "/customers/{customer_id}", response=with_errors({200: s.CustomerOut}), tags=["customers"]
)
def customers_update(request, customer_id: str, body: s.CustomerPatch):
    customer = selectors.customer_get(request.access, customer_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    if "credit_limit" in values:
        values["credit_limit"] = parse_decimal(values["credit_limit"], "credit_limit")
    if values.get("payment_terms_id") is not None:
        values["payment_terms"] = payment_term_of(request, values["payment_terms_id"])
    values.pop("payment_terms_id", None)
    _tax_mapping(request, values)
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


def _child(model, customer, child_id):
    from ordercrm.core.ids import parse_id

    try:
        pk = parse_id(child_id)
    except (ValueError, TypeError):
        raise NotFound() from None
    found = (
        model.objects.for_company(customer.company_id)
        .filter(customer=customer, pk=pk, is_active=True)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@router.patch(
    "/customers/{customer_id}/contacts/{contact_id}",
    response=with_errors({200: s.ContactOut}),
    tags=["customers"],
)
def contacts_update(request, customer_id: str, contact_id: str, body: s.ContactPatch):
    customer = selectors.customer_get(request.access, customer_id)
    contact = _child(Contact, customer, contact_id)
    return services.contact_update(
        contact=contact, actor=request.user, **body.dict(exclude_unset=True)
    )


@router.delete(
    "/customers/{customer_id}/contacts/{contact_id}",
    response=with_errors({200: s.ContactOut}),
    tags=["customers"],
)
def contacts_remove(request, customer_id: str, contact_id: str):
    """Removed from use (orders that name it keep it; answered with ``is_active`` false);
    the next contact becomes primary."""
    customer = selectors.customer_get(request.access, customer_id)
    return services.contact_remove(
        contact=_child(Contact, customer, contact_id), actor=request.user
    )


@router.patch(
    "/customers/{customer_id}/addresses/{address_id}",
    response=with_errors({200: s.AddressOut}),
    tags=["customers"],
)
def addresses_update(request, customer_id: str, address_id: str, body: s.AddressPatch):
    customer = selectors.customer_get(request.access, customer_id)
    address = _child(Address, customer, address_id)
    return services.address_update(
        address=address, actor=request.user, **body.dict(exclude_unset=True)
    )


@router.delete(
    "/customers/{customer_id}/addresses/{address_id}",
    response=with_errors({200: s.AddressOut}),
    tags=["customers"],
)
def addresses_remove(request, customer_id: str, address_id: str):
    """Removed from use; the next address of its kind becomes the default."""
    customer = selectors.customer_get(request.access, customer_id)
    return services.address_remove(
        address=_child(Address, customer, address_id), actor=request.user
    )


@router.post(
    "/customers/{customer_id}/deactivate",
    response=with_errors({200: s.CustomerOut}),
    tags=["customers"],
)
def customers_deactivate(request, customer_id: str, body: s.CustomerStatusIn):
    """No new orders for the customer; a reason is required."""
    customer = selectors.customer_get(request.access, customer_id)
    return services.customer_deactivate(
        customer=customer,
        actor=request.user,
        reason=body.reason,
        version=version_from(request, body.version),
    )


@router.post(
    "/customers/{customer_id}/reactivate",
    response=with_errors({200: s.CustomerOut}),
    tags=["customers"],
)
def customers_reactivate(request, customer_id: str, body: s.CustomerStatusIn):
    customer = selectors.customer_get(request.access, customer_id)
    return services.customer_reactivate(
        customer=customer,
        actor=request.user,
        reason=body.reason,
        version=version_from(request, body.version),
    )


@router.get(
    "/customers/{customer_id}/merge-preview",
    response=with_errors({200: s.MergePreviewOut}),
    tags=["customers"],
)
def customers_merge_preview(request, customer_id: str, survivor_id: str):
    """What merging this customer into ``survivor_id`` would move, and what would refuse it."""
    duplicate = selectors.customer_get(request.access, customer_id)
    survivor = selectors.customer_get(request.access, survivor_id)
    preview = services.customer_merge_preview(
        duplicate=duplicate, survivor=survivor, actor=request.user
    )
    return {
        "duplicate_id": str(duplicate.pk),
        "survivor_id": str(survivor.pk),
        "moves": [
            {"key": key, "label": str(label), "count": count}
            for key, label, count in preview["moves"]
        ],
        "problem": preview["problem"].as_dict() if preview["problem"] else None,
    }


@router.post(
    "/customers/{customer_id}/merge",
    response=with_errors({200: s.CustomerOut}),
    tags=["customers"],
)
def customers_merge(request, customer_id: str, body: s.CustomerMergeIn):
    """Merge this customer (the duplicate) into ``survivor_id``; answers the survivor."""
    duplicate = selectors.customer_get(request.access, customer_id)
    survivor = selectors.customer_get(request.access, body.survivor_id)
    return services.customer_merge(
        duplicate=duplicate,
        survivor=survivor,
        actor=request.user,
        version=version_from(request, body.version),
    )
