from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicpay.accounts.decorators import officer_required
from civicpay.accounts.models import User


@officer_required
def home(request: HttpRequest) -> HttpResponse:
    """The officer's landing page: who they are, for which agency, and the reception menu."""
    user = request.user
    assert isinstance(user, User)
    return render(request, "backoffice/home.html", {"officer": user.officer})
