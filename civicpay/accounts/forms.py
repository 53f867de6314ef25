"""Account forms: thin — field checks and messages here, rules and writes in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicpay.accounts.links import absolute_url
from civicpay.accounts.models import User
from civicpay.accounts.selectors import user_email_taken, user_get_by_login, user_phone_taken
from civicpay.accounts.services import EMAIL_TAKEN, PHONE_TAKEN, TAX_CODE_TAKEN, PersonDetails
from civicpay.accounts.validators import (
    normalize_phone,
    normalize_tax_code,
    validate_citizen_id,
    validate_phone,
    validate_tax_code,
)
from civicpay.notifications.services import notification_send


def password_errors_in_vietnamese(error: ValidationError) -> list[ValidationError]:
    """Django's password validators, worded for our users.

    Django 6.1 changed the msgid of "too short", so its Vietnamese catalogue no longer matches; rather than
    depend on that catalogue, each known validator code gets our own message (Vietnamese msgid, like every
    string of ours). Unknown codes keep Django's text.
    """
    worded = []
    for item in error.error_list:
        params = item.params or {}
        if item.code == "password_too_short":
            message = gettext("Mật khẩu quá ngắn: cần ít nhất %(min_length)d ký tự.") % {
                "min_length": params.get("min_length", 8)
            }
        elif item.code == "password_too_common":
            message = gettext("Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn mật khẩu khác.")
        elif item.code == "password_entirely_numeric":
            message = gettext("Mật khẩu không được chỉ gồm chữ số.")
        elif item.code == "password_too_similar":
            message = gettext("Mật khẩu quá giống thông tin cá nhân của bạn (email, họ tên).")
        else:
            worded.append(item)
            continue
        worded.append(ValidationError(message, code=item.code))
    return worded


class PersonFieldsMixin(forms.Form):
    """The person's own fields, shared by citizen and organisation registration."""

    full_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=150,
        error_messages={"required": _("Nhập họ và tên.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Nhập địa chỉ email."),
            "invalid": _("Nhập địa chỉ email đúng định dạng, ví dụ ten@example.vn."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        help_text=_("Số di động, ví dụ 0912345678"),
        validators=[validate_phone],
        error_messages={"required": _("Nhập số điện thoại.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    id_number = forms.CharField(
        label=_("Số CCCD/CMND/Hộ chiếu"),
        max_length=20,
        help_text=_("CCCD 12 chữ số, CMND 9 chữ số, hoặc số hộ chiếu"),
        validators=[validate_citizen_id],
        error_messages={"required": _("Nhập số CCCD, CMND hoặc hộ chiếu.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        help_text=_("Ít nhất 8 ký tự, không toàn chữ số, không quá phổ biến"),
        error_messages={"required": _("Nhập mật khẩu.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        error_messages={"required": _("Nhập lại mật khẩu.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        if user_email_taken(email=email):
            raise ValidationError(EMAIL_TAKEN, code="email_taken")
        return email

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"]
        if user_phone_taken(phone=phone):
            raise ValidationError(PHONE_TAKEN, code="phone_taken")
        return normalize_phone(phone) or phone

    def clean_id_number(self) -> str:
        return str(self.cleaned_data["id_number"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("Hai mật khẩu không khớp nhau."), code="password_mismatch"))
        elif password1:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, user=probe)
            except ValidationError as exc:
                for error in password_errors_in_vietnamese(exc):
                    self.add_error("password1", error)
        return cleaned

    def person(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            full_name=data["full_name"],
            email=data["email"],
            phone=data["phone"],
            id_number=data["id_number"],
            password=data["password1"],
        )


class CitizenRegistrationForm(PersonFieldsMixin):
    pass


class OrganisationRegistrationForm(PersonFieldsMixin):
    organisation_name = forms.CharField(
        label=_("Tên tổ chức"),
        max_length=255,
        help_text=_("Tên đầy đủ theo giấy chứng nhận đăng ký"),
        error_messages={"required": _("Nhập tên tổ chức.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    tax_code = forms.CharField(
        label=_("Mã số thuế"),
        max_length=20,
        help_text=_("10 chữ số, hoặc 13 chữ số cho đơn vị phụ thuộc"),
        error_messages={"required": _("Nhập mã số thuế.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    address = forms.CharField(
        label=_("Địa chỉ"),
        max_length=255,
        error_messages={"required": _("Nhập địa chỉ trụ sở.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    field_order = ["organisation_name", "tax_code", "address"]
    ORGANISATION_FIELDS = ("organisation_name", "tax_code", "address")

    def clean_tax_code(self) -> str:
        from civicpay.accounts.models import Organisation

        tax_code = normalize_tax_code(self.cleaned_data["tax_code"])  # spaces typed by people are fine
        validate_tax_code(tax_code)
        if Organisation.objects.filter(tax_code=tax_code).exists():
            raise ValidationError(TAX_CODE_TAKEN, code="tax_code_taken")
        return tax_code

    def organisation_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ORGANISATION_FIELDS]

    def person_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if field.name not in self.ORGANISATION_FIELDS]


class LoginForm(AuthenticationForm):
    """Log-in by e-mail or phone; tells an owner whose account is not yet activated what to do."""

    error_messages = {
        "invalid_login": _("Email/số điện thoại hoặc mật khẩu không đúng."),
        "inactive": _("Tài khoản chưa được kích hoạt. Hãy mở liên kết kích hoạt trong thư chúng tôi đã gửi."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.inactive_user: User | None = None
        self.fields["username"].label = _("Email hoặc số điện thoại")
        self.fields["username"].error_messages["required"] = _("Nhập email hoặc số điện thoại.")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].label = _("Mật khẩu")
        self.fields["password"].error_messages["required"] = _("Nhập mật khẩu.")

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as exc:
            # Only after the (throttled) authentication failed: an owner who typed the right password of
            # an account that is not activated yet learns why, and is offered a new link.
            locked_out = getattr(self.request, "axes_locked_out", False)  # axes answers with its own page
            if exc.code == "invalid_login" and not locked_out:
                user = user_get_by_login(identifier=self.cleaned_data.get("username", ""))
                password = self.cleaned_data.get("password") or ""
                if user is not None and not user.is_active and user.check_password(password):
                    self.inactive_user = user
                    raise ValidationError(self.error_messages["inactive"], code="inactive") from exc
            raise


class NewPasswordForm(SetPasswordForm):
    """The password-reset form, with our labels and our wording of the password rules."""

    error_messages = {"password_mismatch": _("Hai mật khẩu không khớp nhau.")}

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password1"].help_text = _("Ít nhất 8 ký tự, không toàn chữ số, không quá phổ biến")
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
        self.fields["new_password1"].error_messages["required"] = _("Nhập mật khẩu mới.")
        self.fields["new_password2"].error_messages["required"] = _("Nhập lại mật khẩu mới.")

    def validate_password_for_user(self, user: Any, password_field_name: str = "password2") -> None:  # noqa: S107 (a field name)
        password = self.cleaned_data.get(password_field_name)
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                for error in password_errors_in_vietnamese(exc):
                    self.add_error(password_field_name, error)


class ResendActivationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email đã dùng khi đăng ký"),
        error_messages={
            "required": _("Nhập địa chỉ email."),
            "invalid": _("Nhập địa chỉ email đúng định dạng, ví dụ ten@example.vn."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail goes through the notifications outbox like every other message."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Nhập địa chỉ email."),
            "invalid": _("Nhập địa chỉ email đúng định dạng, ví dụ ten@example.vn."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._request: HttpRequest | None = kwargs.get("request")
        with transaction.atomic():
            super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user: User = context["user"]
        path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        link = absolute_url(path, getattr(self, "_request", None))
        body = render_to_string("accounts/email/password_reset.txt", {"user": user, "link": link})
        notification_send(
            channel="email",
            to=to_email,
            subject=gettext("Đặt lại mật khẩu CivicPay"),
            body=body,
            key=f"password-reset:{user.pk}:{context['token']}",
            user=user,
        )


class OrganisationAddMemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Email của người đại diện"),
        help_text=_("Người này phải đã có tài khoản CivicPay được kích hoạt"),
        error_messages={
            "required": _("Nhập email của người cần thêm."),
            "invalid": _("Nhập địa chỉ email đúng định dạng, ví dụ ten@example.vn."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
