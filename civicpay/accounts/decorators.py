"""Access decorators for the back office."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect

from civicpay.accounts.models import Officer


def officer_required[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    """Let officers through; send anonymous visitors to log in; refuse everyone else with 403.

    A citizen who follows a back-office link is logged in already: sending them to the log-in page would
    loop, so they get a plain "forbidden" instead. The view's own response type is kept (a FileResponse
    stays a FileResponse).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R | HttpResponseRedirect:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_officer", False):
            raise PermissionDenied("officers only")
        return view(request, *args, **kwargs)

    return wrapper


def officer_with_role(request: HttpRequest, role: str) -> Officer:
    """The logged-in officer (``officer_required`` ran first) if they hold ``role``; otherwise 403."""
    officer: Officer = request.user.officer  # type: ignore[union-attr]
    if not officer.has_role(role):
        raise PermissionDenied(f"{role} officers only")
    return officer
