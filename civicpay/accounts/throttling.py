"""Log-in throttling: django-axes counts failures per *account*, whichever identifier was typed.

An account can be named by its e-mail (any case) or its phone number (any usual spelling). Counting the
raw text would give an attacker 5 tries per spelling; mapping every spelling to the account's
e-mail keeps the limit at 5 per account (and keeps the axes log readable). Unknown identifiers are counted under their normalized form.
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset
from django.conf import settings
from django.http import HttpRequest

from civicpay.accounts.selectors import user_get_by_login
from civicpay.accounts.validators import normalize_phone


def account_key(identifier: str | None) -> str:
    """One stable key per account for the text typed in the log-in field."""
    identifier = (identifier or "").strip()
    user = user_get_by_login(identifier=identifier)
    if user is not None:
        return user.email.lower()
    return normalize_phone(identifier) or identifier.lower()


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """``AXES_USERNAME_CALLABLE``: the account key for the identifier being tried."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field):
        identifier = credentials[field]
    else:
        identifier = getattr(request, "POST", {}).get(field, "")
    return account_key(str(identifier))


def account_unlock(*, identifier: str) -> int:
    """Clear the failure count of an account (after its owner proved control of the mailbox)."""
    return reset(username=account_key(identifier))
