def workspace(request):
    """The active company and access rights, for navigation that only shows what one may use."""
    return {
        "company": getattr(request, "company", None),
        "access": getattr(request, "access", None),
    }
