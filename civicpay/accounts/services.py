"""State changes for accounts: registration, activation, organisation representatives.

Each service runs in one transaction, writes an audit row, and queues its e-mail in the notifications
outbox inside that same transaction, so a registration that rolls back never sends a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicpay.accounts.links import absolute_url
from civicpay.accounts.models import Organisation, OrganisationMember, User
from civicpay.accounts.selectors import user_email_taken, user_phone_taken
from civicpay.accounts.throttling import account_unlock
from civicpay.accounts.tokens import activation_token_make
from civicpay.accounts.validators import normalize_phone, normalize_tax_code
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.notifications.models import OutboxMessage
from civicpay.notifications.services import notification_send

EMAIL_TAKEN = _("Email này đã được dùng cho một tài khoản khác. Hãy đăng nhập hoặc dùng chức năng Quên mật khẩu.")
PHONE_TAKEN = _("Số điện thoại này đã được dùng cho một tài khoản khác.")
TAX_CODE_TAKEN = _("Mã số thuế này đã được đăng ký. Hãy liên hệ người đại diện của tổ chức để được thêm vào.")


RESEND_COOLDOWN = timedelta(seconds=60)


@dataclass(frozen=True)
class PersonDetails:
    """What a person gives to open an account (a citizen, or an organisation's representative)."""

    full_name: str
    email: str
    phone: str
    id_number: str
    password: str


def _user_create(*, person: PersonDetails) -> User:
    """Create the inactive user, re-checking uniqueness under the transaction (the form checked earlier)."""
    errors: dict[str, list[ValidationError]] = {}
    if user_email_taken(email=person.email):
        errors["email"] = [ValidationError(EMAIL_TAKEN, code="email_taken")]
    if user_phone_taken(phone=person.phone):
        errors["phone"] = [ValidationError(PHONE_TAKEN, code="phone_taken")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=person.email.strip(),
                password=person.password,
                full_name=person.full_name.strip(),
                phone=normalize_phone(person.phone),
                id_number=person.id_number.strip().upper(),
                is_active=False,
            )
    except IntegrityError as exc:  # a concurrent registration won the race for the same e-mail/phone
        raise ValidationError(_("Email hoặc số điện thoại vừa được đăng ký. Vui lòng kiểm tra lại.")) from exc


@transaction.atomic
def user_register_citizen(*, person: PersonDetails, request: HttpRequest | None = None) -> User:
    """Open an inactive citizen account and queue its activation e-mail."""
    user = _user_create(person=person)
    audit_record(actor=user, action="user.register", target=user, after={"email": user.email, "kind": "citizen"})
    activation_email_send(user=user, request=request)
    return user


@transaction.atomic
def organisation_register(
    *, person: PersonDetails, name: str, tax_code: str, address: str, request: HttpRequest | None = None
) -> Organisation:
    """Open an organisation with its legal representative's (inactive) account, and queue the activation e-mail."""
    normalized_tax_code = normalize_tax_code(tax_code)
    errors: dict[str, list[ValidationError]] = {}
    if Organisation.objects.filter(tax_code=normalized_tax_code).exists():
        errors["tax_code"] = [ValidationError(TAX_CODE_TAKEN, code="tax_code_taken")]
    try:
        user = _user_create(person=person)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name.strip(), tax_code=normalized_tax_code, address=address.strip()
            )
    except IntegrityError as exc:
        raise ValidationError({"tax_code": [ValidationError(TAX_CODE_TAKEN, code="tax_code_taken")]}) from exc
    OrganisationMember.objects.create(organisation=organisation, user=user, is_legal_representative=True)
    audit_record(actor=user, action="user.register", target=user, after={"email": user.email, "kind": "organisation"})
    audit_record(
        actor=user,
        action="organisation.register",
        target=organisation,
        after={"name": organisation.name, "tax_code": organisation.tax_code, "legal_representative": user.pk},
    )
    activation_email_send(user=user, request=request)
    return organisation


def activation_email_send(*, user: User, request: HttpRequest | None = None) -> OutboxMessage:
    """Queue the activation e-mail with a fresh link; call it inside the caller's transaction."""
    issued_at = clock.now()
    token = activation_token_make(user=user, issued_at=issued_at)
    link = absolute_url(reverse("accounts:activate", kwargs={"token": token}), request)
    hours = int(settings.ACCOUNT_ACTIVATION_MAX_AGE.total_seconds() // 3600)  # shown in the e-mail
    body = render_to_string("accounts/email/activation.txt", {"user": user, "link": link, "hours": hours})
    return notification_send(
        channel="email",
        to=user.email,
        subject=gettext("Kích hoạt tài khoản CivicPay"),
        body=body,
        key=f"activation:{user.pk}:{issued_at.timestamp():.6f}",
        user=user,
    )


@transaction.atomic
def activation_resend(*, email: str, request: HttpRequest | None = None) -> None:
    """Send a new link if ``email`` belongs to an account not yet activated; otherwise do nothing.

    The caller shows the same answer either way, so the page does not reveal which addresses exist.
    """
    user = User.objects.select_for_update().filter(email__iexact=email.strip(), is_active=False).first()
    if user is None:
        return
    recently = clock.now() - RESEND_COOLDOWN
    if OutboxMessage.objects.filter(key__startswith=f"activation:{user.pk}:", created_at__gte=recently).exists():
        return  # one link a minute is enough; the page cannot be used to flood someone's mailbox
    activation_email_send(user=user, request=request)


@transaction.atomic
def user_activate(*, user: User) -> bool:
    """Activate ``user``; ``False`` if it was already active (opening the link twice is harmless)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        return False
    locked.is_active = True
    locked.activated_at = clock.now()
    locked.save(update_fields=["is_active", "activated_at"])
    audit_record(
        actor=locked, action="user.activate", target=locked, before={"is_active": False}, after={"is_active": True}
    )
    user.is_active, user.activated_at = locked.is_active, locked.activated_at
    return True


@transaction.atomic
def user_password_reset_record(*, user: User) -> None:
    """After a reset through the e-mailed link: audit it, and lift a lockout caused by someone's guesses."""
    audit_record(actor=user, action="user.password_reset", target=user)
    account_unlock(identifier=user.email)


@transaction.atomic
def organisation_member_add(*, organisation: Organisation, email: str, by: User) -> OrganisationMember:
    """Let a legal representative add another active account as a representative of the organisation."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not OrganisationMember.objects.filter(organisation=organisation, user=by, is_legal_representative=True).exists():
        raise PermissionError("Only a legal representative can add representatives")
    member_user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if member_user is None:
        raise ValidationError(
            {
                "email": _(
                    "Không tìm thấy tài khoản đã kích hoạt với email này. Người được thêm cần đăng ký và kích hoạt tài khoản trước."
                )
            }
        )
    if OrganisationMember.objects.filter(organisation=organisation, user=member_user).exists():
        raise ValidationError({"email": _("Người này đã là người đại diện của tổ chức.")})
    member = OrganisationMember.objects.create(
        organisation=organisation, user=member_user, is_legal_representative=False
    )
    audit_record(actor=by, action="organisation.member_add", target=organisation, after={"user": member_user.pk})
    return member
