from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from civicpay.accounts.models import User
from civicpay.accounts.validators import normalize_phone


class EmailOrPhoneBackend(ModelBackend):
    """Log in with the e-mail address or the phone number, and the password."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or not password:
            return None
        identifier = username.strip()
        query = Q(email__iexact=identifier)
        phone = normalize_phone(identifier)
        if phone:
            query |= Q(phone=phone)
        user = User.objects.filter(query).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle for unknown users
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
