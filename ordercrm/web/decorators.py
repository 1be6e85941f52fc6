"""The web edge: sign-in, membership, and DomainError → response, in one decorator."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from ordercrm.core.context import change_source
from ordercrm.core.exceptions import DomainError, NotFound, PermissionDenied
from ordercrm.web.errors import error_lines


def member_view(view):
    """Require a signed-in member of a company; map NotFound to 404, PermissionDenied to 403.

    Runs the view with the change source ``web`` so audit entries say where they came from.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.access is None:
            return render(request, "web/no_company.html", status=403)
        try:
            with change_source("web"):
                return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.text) from exc
        except PermissionDenied as exc:
            return render(request, "web/forbidden.html", {"error": exc}, status=403)
        except DomainError as exc:
            # views show refusals inline next to their fields; one that a view does not
            # expect is still a 4xx page with the translated reasons, never a 500
            return render(
                request,
                "web/refused.html",
                {"error": exc, "lines": error_lines(exc)},
                status=exc.http_status if 400 <= exc.http_status < 500 else 422,
            )

    return wrapper
