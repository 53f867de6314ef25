"""The English catalogue: switching language, and a catalogue with nothing left untranslated.

Every msgid is the Vietnamese text; ``civicpay/locale/en/LC_MESSAGES/django.po`` holds the English. The
completeness test reads the ``.po`` file itself, so after ``makemessages -l en`` picks up a new string, the
suite fails until someone translates it (and removes any ``#, fuzzy`` guess msgmerge made).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

CATALOGUE_DIR = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "django.po"
MO_FILE = CATALOGUE_DIR / "django.mo"
SET_LANGUAGE = "/i18n/setlang/"


# --- a minimal .po reader (no polib in the project) -------------------------------------------------


@dataclass
class PoEntry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plain msgstr is index 0
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(quoted: str) -> str:
    body = quoted.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(path: Path) -> list[PoEntry]:
    entries: list[PoEntry] = []
    entry: PoEntry | None = None
    target: tuple[str, int] = ("msgid", 0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry = None
            continue
        if entry is None:
            entry = PoEntry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = value
            else:
                target = (keyword, 0)
                setattr(entry, keyword, value)
        elif line.startswith('"'):
            value = _unquote(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], (getattr(entry, target[0]) or "") + value)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    return entries


def describe(entry: PoEntry) -> str:
    return f"line {entry.line}: {entry.msgid[:70]!r}"


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> None:
    """``./dev test`` compiles first; a bare ``pytest`` after ``makemessages`` gets the same here."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        call_command("compilemessages", locale=["en"], ignore_patterns=[".venv", "node_modules"], verbosity=0)
        translation_file_changed(sender=None, file_path=MO_FILE)


@pytest.fixture(autouse=True)
def _back_to_default_language() -> Iterator[None]:
    """The test client runs the request in this thread: don't leave English active for the next test."""
    yield
    translation.deactivate()


def switch_language(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post(SET_LANGUAGE, {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


# --- the site in each language -------------------------------------------------------------------


@pytest.mark.django_db
def test_vietnamese_is_the_default(client: Client) -> None:
    page = client.get("/").content.decode()
    assert '<html lang="vi">' in page
    assert "Thanh toán phí, lệ phí dịch vụ công trực tuyến" in page
    assert "Đăng nhập" in page
    assert "Đăng ký" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_switching_to_english_translates_the_home_page(client: Client) -> None:
    switch_language(client, "en")
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Pay fees and charges for public services online</h1>" in page
    assert "Log in" in page
    assert "Register" in page
    assert "Look up a dossier" in page
    assert "Skip to main content" in page
    assert "Đăng nhập" not in page
    assert "Tra cứu hồ sơ" not in page


@pytest.mark.django_db
def test_login_page_in_english(client: Client) -> None:
    switch_language(client, "en")
    page = client.get(reverse("accounts:login")).content.decode()
    assert "<h1>Log in</h1>" in page
    assert "Email or phone number" in page
    assert "Password" in page
    assert "Forgotten your password?" in page
    assert "Mật khẩu" not in page


@pytest.mark.django_db
def test_switching_back_to_vietnamese(client: Client) -> None:
    switch_language(client, "en")
    switch_language(client, "vi")
    page = client.get("/").content.decode()
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    assert "Log in" not in page


# --- the catalogue -------------------------------------------------------------------------------


def test_english_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    entries = [entry for entry in parse_po(PO_FILE) if not entry.obsolete]
    header, messages = entries[0], entries[1:]
    assert header.msgid == "", "the .po file must start with its header"
    assert "nplurals=2; plural=(n != 1);" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert len(messages) > 500, "the catalogue looks truncated"
    fuzzy = [describe(entry) for entry in entries if "fuzzy" in entry.flags]
    untranslated = [describe(entry) for entry in messages if not entry.translated]
    assert not fuzzy, "fuzzy entries in the English catalogue (check them, then remove the flag):\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated entries in the English catalogue:\n" + "\n".join(untranslated)
    for entry in messages:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == [0, 1], describe(entry)


def test_english_catalogue_keeps_every_placeholder() -> None:
    wrong = []
    for entry in parse_po(PO_FILE)[1:]:
        if entry.obsolete or not entry.translated:
            continue
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for source, translated in zip(sources, entry.msgstr.values(), strict=True):
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(translated)):
                wrong.append(describe(entry))
    assert not wrong, "placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_compiled_catalogue_is_the_one_in_the_po_file() -> None:
    """Django serves every entry of the .po file in English (a stale or broken .mo fails here)."""
    stale = []
    with translation.override("en"):
        for entry in parse_po(PO_FILE)[1:]:
            if entry.obsolete or not entry.translated:
                continue
            if entry.msgid_plural is None:
                expected = entry.msgstr[0]
                if entry.msgctxt is None:
                    served = translation.gettext(entry.msgid)
                else:
                    served = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                expected = entry.msgstr[1]
                if entry.msgctxt is None:
                    served = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                else:
                    served = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2)
            if served != expected:
                stale.append(describe(entry))
    assert not stale, "run compilemessages; these entries are not served as in the .po file:\n" + "\n".join(stale)


@pytest.mark.django_db
def test_a_browser_set_to_english_still_gets_vietnamese_until_the_person_chooses(client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
