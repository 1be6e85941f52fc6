"""Per-request active company, access rights and the user's language."""

from __future__ import annotations

from django.utils import translation

from ordercrm.accounts.access import access_for, companies_of

SESSION_COMPANY_KEY = "ordercrm_company_id"


class ActiveCompanyMiddleware:
    """``request.company`` and ``request.access`` for signed-in users.

    The company is the one chosen in the session if the user still belongs to it, else their
    first company. Users without any company get ``None`` and see nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = None
        request.access = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            companies = companies_of(user)
            chosen = request.session.get(SESSION_COMPANY_KEY)
            company = next((c for c in companies if str(c.pk) == chosen), None)
            if company is None and companies:
                company = companies[0]
            if company is not None:
                request.company = company
                request.access = access_for(user, company)
            if user.language:
                # The user's saved choice (set by the language switcher) beats the browser's.
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return self.get_response(request)
