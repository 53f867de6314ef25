"""Dossier errors. ``message`` is the Vietnamese text a page may show as is."""

from __future__ import annotations

from django.utils.functional import Promise


class DossierError(Exception):
    """A dossier action was refused (wrong person, wrong state, bad input)."""

    def __init__(self, message: str | Promise) -> None:
        self.message = str(message)
        super().__init__(self.message)


class IllegalTransition(DossierError):
    """The dossier's state machine does not allow this move now."""


class UploadRejected(DossierError):
    """A file is not an accepted type (by its content) or is too large."""
