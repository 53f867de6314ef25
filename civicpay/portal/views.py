from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Public home page; a logged-in officer is sent to the back office."""
    if request.user.is_authenticated and request.user.is_officer:
        return redirect("backoffice:home")
    return render(request, "portal/home.html")
