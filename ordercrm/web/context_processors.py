def workspace(request):
    """The active company and access rights, for navigation that only shows what one may use."""
    company = getattr(request, "company", None)
    unread = 0
    if company is not None and request.user.is_authenticated:
        from ordercrm.notifications.selectors import unread_count

        unread = unread_count(request.user, company)
    return {"company": company, "access": getattr(request, "access", None), "unread_count": unread}
