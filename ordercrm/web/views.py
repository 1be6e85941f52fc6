"""Web pages: thin views over selectors and services."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ordercrm.accounts.access import companies_of
from ordercrm.accounts.middleware import SESSION_COMPANY_KEY
from ordercrm.web.decorators import member_view

PAGE_SIZE = 50


def _back(request, fallback: str = "/") -> HttpResponseRedirect:
    target = request.POST.get("next") or request.headers.get("referer") or fallback
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = fallback
    return HttpResponseRedirect(target)


@require_POST
def set_language(request):
    """Switch the interface language; a signed-in user keeps the choice across devices."""
    language = request.POST.get("language", "")
    response = _back(request)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


@require_POST
@member_view
def switch_company(request):
    wanted = request.POST.get("company", "")
    if any(str(c.pk) == wanted for c in companies_of(request.user)):
        request.session[SESSION_COMPANY_KEY] = wanted
    return _back(request)


@require_GET
def health(request):
    """Liveness with a database round trip, for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def health_worker(request):
    """The workers' pulse (see ``notifications.worker.queue_state``): "ok" (a live worker is
    idle) and "busy" (every live worker holds work, each named with how long it has held it)
    answer 200; "stuck" (an item held longer than its lease) and "stale" (no heartbeat for a
    30 s: no worker is running) answer 503, for monitoring to alert on."""
    from ordercrm.notifications.worker import queue_state

    state = queue_state()
    healthy = state["status"] in ("ok", "busy")
    return JsonResponse(state, status=200 if healthy else 503)


@member_view
def tokens(request):
    """Each user manages their own API tokens; a new token is shown once."""
    from ordercrm.accounts.models import ApiToken
    from ordercrm.accounts.tokens import token_create, token_revoke

    created = None
    if request.method == "POST":
        if request.POST.get("revoke"):
            token = ApiToken.objects.filter(user=request.user, pk=request.POST["revoke"]).first()
            if token is not None:
                token_revoke(token=token, actor=request.user)
        else:
            _token, created = token_create(
                user=request.user, name=request.POST.get("name", "API")[:100]
            )
    return render(
        request,
        "web/tokens.html",
        {"tokens": ApiToken.objects.filter(user=request.user), "created": created},
    )


@member_view
def notifications(request):
    from ordercrm.notifications.selectors import notification_list
    from ordercrm.notifications.services import notifications_mark_read

    if request.method == "POST":
        notifications_mark_read(user=request.user, company=request.company)
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "web/notifications.html",
        {"items": notification_list(request.user, request.company)[:100]},
    )
