"""State of the "Nộp hồ sơ" journey between its pages: the session, plus held upload files.

Design (why it looks like this): a GOV.UK journey spreads one dossier over three pages, but a browser
cannot re-send a file it uploaded on an earlier page, and a file input is always empty when a page
is shown again. So each file is checked with ``validate_upload`` the moment it arrives at step 2 and,
if it is acceptable, copied to a private holding folder under ``PRIVATE_ROOT`` (never under the web
root). The session keeps only a random token per file plus its name, type and size. The check-answers
page lists the held files, and the final "Nộp hồ sơ" hands them to ``dossier_submit``. Consequences:

- a bad file at step 2 is refused with a message while the other answers *and the good files of the
  same upload* are kept — nothing the user gave us is lost;
- the session never holds file bytes, and a token from one session is useless in another (the token
  is only looked up in the session that created it);
- after submit, or when the user removes a file, its held copy is deleted. Abandoned journeys leave
  files behind; ``held_files_purge_older_than`` removes them and is safe to run from a periodic task.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile

SESSION_KEY = "portal_dossier_wizard"
MAX_HELD_FILES = 10


def _holding_dir() -> Path:
    return Path(settings.PRIVATE_ROOT) / "wizard-uploads"


@dataclass
class HeldFile:
    """A validated upload waiting in the holding folder for the dossier to be submitted."""

    token: str
    name: str
    content_type: str
    size: int

    @property
    def path(self) -> Path:
        return _holding_dir() / self.token


@dataclass
class WizardState:
    """Everything the user has answered so far. Plain JSON-able values: it lives in the session."""

    procedure_id: int | None = None
    on_behalf: str = "self"  # "self" or "org:<organisation id>"
    summary: str = ""
    notes: str = ""
    details_done: bool = False
    files: list[HeldFile] = field(default_factory=list)

    @classmethod
    def load(cls, session: SessionBase) -> WizardState:
        raw: dict[str, Any] = session.get(SESSION_KEY) or {}
        files = [HeldFile(**f) for f in raw.get("files", [])]
        return cls(
            procedure_id=raw.get("procedure_id"),
            on_behalf=raw.get("on_behalf", "self"),
            summary=raw.get("summary", ""),
            notes=raw.get("notes", ""),
            details_done=bool(raw.get("details_done", False)),
            files=files,
        )

    def save(self, session: SessionBase) -> None:
        session[SESSION_KEY] = {
            "procedure_id": self.procedure_id,
            "on_behalf": self.on_behalf,
            "summary": self.summary,
            "notes": self.notes,
            "details_done": self.details_done,
            "files": [asdict(f) for f in self.files],
        }

    def hold(self, upload: UploadedFile, *, content_type: str) -> HeldFile:
        """Copy an already-validated upload to the holding folder and remember it."""
        _holding_dir().mkdir(parents=True, exist_ok=True)
        held = HeldFile(
            token=secrets.token_hex(16),
            name=Path(upload.name or "tep").name[:200],
            content_type=content_type,
            size=upload.size or 0,
        )
        upload.seek(0)
        with held.path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        self.files.append(held)
        return held

    def release(self, token: str) -> None:
        """Forget one held file and delete its copy (the user removed it)."""
        for held in [f for f in self.files if f.token == token]:
            held.path.unlink(missing_ok=True)
            self.files.remove(held)

    def missing_files(self) -> list[HeldFile]:
        """Held files whose copy has gone (purged while the user was away); they must be uploaded again."""
        return [f for f in self.files if not f.path.is_file()]

    @contextmanager
    def opened_files(self) -> Iterator[list[UploadedFile]]:
        """The held files as ``UploadedFile`` objects for ``dossier_submit``, closed afterwards."""
        with ExitStack() as stack:
            uploads = [
                UploadedFile(
                    file=stack.enter_context(held.path.open("rb")),
                    name=held.name,
                    content_type=held.content_type,
                    size=held.size,
                )
                for held in self.files
            ]
            yield uploads

    def clear(self, session: SessionBase) -> None:
        """End the journey: delete every held copy and the session state."""
        for held in self.files:
            held.path.unlink(missing_ok=True)
        self.files = []
        session.pop(SESSION_KEY, None)


def held_files_purge_older_than(*, seconds: int) -> int:
    """Delete held copies older than ``seconds`` (abandoned journeys); returns how many went."""
    folder = _holding_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - seconds
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
