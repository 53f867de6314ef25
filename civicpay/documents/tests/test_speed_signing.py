"""What the signer keeps per process (key, encoded attribute, stamp font) changes nothing in the
signature, and a rotation still takes effect at the next document."""

from __future__ import annotations

import asyncio
import hashlib
import io

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pypdf import PdfReader

from civicpay.core import clock
from civicpay.directory.models import Agency
from civicpay.documents import ca, signing
from civicpay.documents.services import document_read
from civicpay.documents.tests.conftest import AGENCY_NAME, IssueFn
from civicpay.documents.verification import check_document_upload

pytestmark = pytest.mark.django_db


def _signing_certificate_der(data: bytes) -> bytes:
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return bytes(signature.signer_cert.dump())


def _stamp_appearance_text(data: bytes) -> str:
    page = PdfReader(io.BytesIO(data)).pages[-1]
    for annotation in page.annotations or []:
        widget = annotation.get_object()
        if widget.get("/FT") == "/Sig":
            return page.extract_xform_text(widget["/AP"]["/N"].get_object())
    raise AssertionError("no signature widget")


def test_the_key_is_decrypted_once_per_certificate(
    issue: IssueFn, agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca.signer_certificate(agency.code)  # the CA's own keys are used (once) to create it, not counted here
    loads: list[object] = []
    load_private_key = ca.load_private_key

    def counting(certificate: object) -> object:
        loads.append(certificate)
        return load_private_key(certificate)  # type: ignore[arg-type]

    monkeypatch.setattr(ca, "load_private_key", counting)

    documents = [issue() for _ in range(3)]

    assert loads == [documents[0].certificate]
    assert all(check_document_upload(document=d, data=document_read(d)).ok for d in documents)


def test_after_a_rotation_the_next_document_is_signed_with_the_new_certificate(issue: IssueFn, agency: Agency) -> None:
    before = issue()  # this process now holds the old certificate's signer
    old = ca.signer_certificate(agency.code)
    assert _signing_certificate_der(document_read(before)) == bytes(old.der)

    new = ca.certificate_rotate(issuer_agency_code=agency.code)
    after = issue()

    assert after.certificate == new
    assert _signing_certificate_der(document_read(after)) == bytes(new.der) != bytes(old.der)
    assert check_document_upload(document=after, data=document_read(after)).ok
    assert check_document_upload(document=before, data=document_read(before)).ok


def test_signed_attributes_are_byte_for_byte_pyhankos(agency: Agency) -> None:
    certificate = ca.signer_certificate(agency.code)
    prepared = signing._signer_for(certificate)
    stock = signers.SimpleSigner(
        signing_cert=prepared.signing_cert, signing_key=prepared.signing_key, cert_registry=prepared.cert_registry
    )
    digest = hashlib.sha256(b"a document").digest()

    def attributes(signer: signers.Signer) -> bytes:
        settings = PdfCMSSignedAttributes(signing_time=clock.now())
        return asyncio.run(signer.signed_attrs(digest, "sha256", attr_settings=settings, use_pades=True)).dump()

    assert attributes(prepared) == attributes(stock)
    assert attributes(prepared) == attributes(prepared)  # the kept attribute is not consumed by a signature


def test_the_stamp_prints_its_text_with_pyhankos_metrics(issue: IssueFn) -> None:
    document = issue()
    expected = signing.stamp_text(signer_name=AGENCY_NAME, signed_at=document.issued_at)

    # The appearance holds the stamp's text (glyphs mapped back through the font's ToUnicode)…
    assert _stamp_appearance_text(document_read(document)).strip() == expected
    # …laid out with the same advances pyHanko's own font engine gives those lines.
    program = signing._stamp_font_program((frozenset(expected) | signing._DIGITS) - {"\n"})
    ours = signing._StampFontEngine(PdfFileWriter(), program, 7, None)
    stock = GlyphAccumulator(writer=PdfFileWriter(), font_handle=io.BytesIO(signing._stamp_font_bytes()), font_size=7)
    for line in expected.split("\n"):
        assert ours.shape(line).x_advance == pytest.approx(stock.shape(line).x_advance)


def test_the_stamp_font_is_made_once_per_signer(issue: IssueFn) -> None:
    signing._stamp_font_program.cache_clear()
    signing._stamp_style.cache_clear()
    issue()
    issue()
    assert signing._stamp_font_program.cache_info().misses == 1
    assert signing._stamp_style.cache_info().hits >= 1


def test_a_character_the_font_lacks_prints_as_notdef(agency: Agency) -> None:
    program = signing._stamp_font_program(frozenset("Ký số 0123456789"))
    engine = signing._StampFontEngine(PdfFileWriter(), program, 7, None)
    assert "漢" not in program.glyphs
    assert engine.shape("漢").graphics_ops == b"<0000> Tj"
    assert engine.shape("Ký").x_advance > 0


def test_signatures_still_chain_to_the_platform_root(issue: IssueFn) -> None:
    document = issue()
    (signature,) = PdfFileReader(io.BytesIO(document_read(document))).embedded_signatures
    root = asn1_x509.Certificate.load(bytes(ca.root_certificate().der))
    chain = {c.sha256 for c in signature.other_embedded_certs} | {signature.signer_cert.sha256}
    assert root.sha256 in chain  # the whole chain is embedded, as before
