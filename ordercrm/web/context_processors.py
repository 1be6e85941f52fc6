def workspace(request):
    """The active company and access rights, for navigation that only shows what one may use."""
    from ordercrm.core.permissions import Perm

    company = getattr(request, "company", None)
    access = getattr(request, "access", None)
    unread = 0
    if company is not None and request.user.is_authenticated:
        from ordercrm.notifications.selectors import unread_count

        unread = unread_count(request.user, company)
    return {
        "company": company,
        "access": access,
        "unread_count": unread,
        "can_reports": access is not None and access.can(Perm.REPORT_VIEW),
        # finance's figures: the exchange gains and losses (billing.selectors.FINANCE_FIGURES)
        "can_finance": access is not None and access.can(Perm.INVOICE_EDIT),
        "can_import": access is not None and access.can(Perm.DATA_IMPORT),
        "can_service": access is not None and access.can(Perm.TICKET_EDIT),
        "can_service_settings": access is not None and access.can(Perm.SERVICE_SETTINGS),
        "can_settings": access is not None
        and (
            access.can(Perm.SETTINGS_EDIT)
            or access.can(Perm.USER_MANAGE)
            or access.can(Perm.EXCHANGE_RATE_EDIT)
        ),
    }
