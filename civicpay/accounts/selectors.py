"""Reads about accounts and organisations."""

from __future__ import annotations

from django.db.models import QuerySet

from civicpay.accounts.models import Organisation, OrganisationMember, User
from civicpay.accounts.validators import normalize_phone


def user_email_taken(*, email: str) -> bool:
    """E-mail addresses are compared without regard to case: ``An@x.vn`` and ``an@x.vn`` are one mailbox."""
    return User.objects.filter(email__iexact=email.strip()).exists()


def user_phone_taken(*, phone: str) -> bool:
    normalized = normalize_phone(phone)
    return normalized is not None and User.objects.filter(phone=normalized).exists()


def user_get_by_login(*, identifier: str) -> User | None:
    """The account an e-mail address or phone number (any usual spelling) refers to, if any."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    user = User.objects.filter(email__iexact=identifier).first()
    if user is None and (phone := normalize_phone(identifier)):
        user = User.objects.filter(phone=phone).first()
    return user


def organisation_memberships_for_user(*, user: User) -> QuerySet[OrganisationMember]:
    """The organisations ``user`` acts for, with the organisation loaded, by name."""
    return OrganisationMember.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def organisation_get_for_legal_representative(*, user: User, organisation_id: int) -> Organisation | None:
    """The one access check for managing an organisation: only its legal representatives pass."""
    return Organisation.objects.filter(
        pk=organisation_id, memberships__user=user, memberships__is_legal_representative=True
    ).first()


def organisation_members(*, organisation: Organisation) -> QuerySet[OrganisationMember]:
    return (
        OrganisationMember.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-is_legal_representative", "user__full_name")
    )
