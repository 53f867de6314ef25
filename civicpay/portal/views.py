from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from civicpay.accounts.models import User
from civicpay.accounts.selectors import organisation_memberships_for_user


def home(request: HttpRequest) -> HttpResponse:
    """Public home page for visitors; the citizen's own page once logged in; officers go to the back office."""
    user = request.user
    if not isinstance(user, User):
        return render(request, "portal/home.html")
    if user.is_officer:
        return redirect("backoffice:home")
    context = {"memberships": organisation_memberships_for_user(user=user)}
    return render(request, "portal/home.html", context)
