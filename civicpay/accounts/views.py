"""Account pages: registration, activation, log-in/out, lockout, password reset, organisation representatives."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from civicpay.accounts import services
from civicpay.accounts.forms import (
    CitizenRegistrationForm,
    LoginForm,
    NewPasswordForm,
    OrganisationAddMemberForm,
    OrganisationRegistrationForm,
    OutboxPasswordResetForm,
    PersonFieldsMixin,
    ResendActivationForm,
)
from civicpay.accounts.models import User
from civicpay.accounts.selectors import organisation_get_for_legal_representative, organisation_members
from civicpay.accounts.tokens import TokenProblem, activation_token_check

REGISTERED_EMAIL_SESSION_KEY = "accounts:registered_email"


def activation_hours() -> int:
    return int(settings.ACCOUNT_ACTIVATION_MAX_AGE.total_seconds() // 3600)


def landing_url_for(user: User) -> str:
    """Where a user lands after log-in: officers in the back office, everyone else in the portal."""
    return reverse("backoffice:home" if user.is_officer else "portal:home")


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        assert isinstance(user, User)
        return landing_url_for(user)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default); the header's "Đăng xuất" button posts here."""


def _lockout_text() -> str:
    cool_off = get_cool_off()
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else 15
    return ngettext(
        "Tài khoản tạm thời bị khóa vì nhập sai mật khẩu quá %(limit)d lần. Vui lòng thử lại sau %(minutes)d phút, hoặc đặt lại mật khẩu.",
        "Tài khoản tạm thời bị khóa vì nhập sai mật khẩu quá %(limit)d lần. Vui lòng thử lại sau %(minutes)d phút, hoặc đặt lại mật khẩu.",
        minutes,
    ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}


def lockout(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the log-in page again, status 429, saying the account is locked and for how long.

    django-axes 8 calls it as ``(request, original_response, credentials)`` (older: ``(request, credentials)``).
    The form is rebuilt unbound — binding it would authenticate again and count one more failure.
    """
    credentials = kwargs.get("credentials") or next((a for a in reversed(args) if isinstance(a, dict)), None) or {}
    username = credentials.get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    form = LoginForm(request, initial={"username": username})
    context = {"form": form, "locked_out_message": _lockout_text(), "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context, status=429)


def register(request: HttpRequest) -> HttpResponse:
    """Choose the kind of account: a person, or an organisation/business."""
    return render(request, "accounts/register.html")


def _register_with(
    request: HttpRequest, form_class: type[PersonFieldsMixin], template: str, create: Any
) -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[REGISTERED_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
            return redirect("accounts:register_done")
    return render(request, template, {"form": form})


@require_http_methods(["GET", "POST"])
def register_citizen(request: HttpRequest) -> HttpResponse:
    return _register_with(
        request,
        CitizenRegistrationForm,
        "accounts/register_citizen.html",
        lambda form: services.user_register_citizen(person=form.person(), request=request),
    )


@require_http_methods(["GET", "POST"])
def register_organisation(request: HttpRequest) -> HttpResponse:
    return _register_with(
        request,
        OrganisationRegistrationForm,
        "accounts/register_organisation.html",
        lambda form: services.organisation_register(
            person=form.person(),
            name=form.cleaned_data["organisation_name"],
            tax_code=form.cleaned_data["tax_code"],
            address=form.cleaned_data["address"],
            request=request,
        ),
    )


def register_done(request: HttpRequest) -> HttpResponse:
    """ "Kiểm tra hộp thư của bạn": the link is in the mailbox, not here."""
    email = request.session.get(REGISTERED_EMAIL_SESSION_KEY, "")
    return render(request, "accounts/register_done.html", {"email": email, "hours": activation_hours()})


def activate(request: HttpRequest, token: str) -> HttpResponse:
    """Open the e-mailed link: activate, or explain why not (expired, garbled, already active)."""
    check = activation_token_check(token)
    if check.problem is TokenProblem.EXPIRED:
        return render(
            request,
            "accounts/activation_failed.html",
            {"expired": True, "form": ResendActivationForm(initial={"email": check.email})},
            status=410,
        )
    if check.user is None:
        return render(
            request, "accounts/activation_failed.html", {"expired": False, "form": ResendActivationForm()}, status=400
        )
    newly_activated = services.user_activate(user=check.user)
    return render(request, "accounts/activation_done.html", {"newly_activated": newly_activated})


@require_http_methods(["GET", "POST"])
def resend_activation(request: HttpRequest) -> HttpResponse:
    """Ask for a new link by e-mail; the answer is the same whether or not the address has an account."""
    form = ResendActivationForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        services.activation_resend(email=form.cleaned_data["email"], request=request)
        return render(request, "accounts/resend_activation_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/resend_activation.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The owner proved control of the mailbox: a lockout from someone else's guesses should not
        # keep them out with their new password.
        services.user_password_reset_record(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET", "POST"])
def organisation_add_member(request: HttpRequest, organisation_id: int) -> HttpResponseBase:
    """A legal representative adds another existing, active account as a representative."""
    user = request.user
    assert isinstance(user, User)
    organisation = organisation_get_for_legal_representative(user=user, organisation_id=organisation_id)
    if organisation is None:
        raise Http404
    form = OrganisationAddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.organisation_member_add(
                organisation=organisation, email=form.cleaned_data["email"], by=user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Đã thêm %(name)s làm người đại diện của %(organisation)s.")
                % {"name": member.user.full_name, "organisation": organisation.name},
            )
            return redirect("accounts:organisation_add_member", organisation_id=organisation.pk)
    context = {"form": form, "organisation": organisation, "members": organisation_members(organisation=organisation)}
    return render(request, "accounts/organisation_add_member.html", context)
