"""PAdES signatures with pyHanko: sign a PDF with a certificate of our CA, with a visible stamp.

The signature is PAdES baseline B-B (``/ETSI.CAdES.detached``, SHA-256, RSA PKCS#1 v1.5) and carries the
whole chain up to the root. Its visible stamp (signer and time, in the bundled Noto Sans so Vietnamese
names print) sits in ``STAMP_BOX`` on the last page, the area documents/print_base.html leaves free.

Speed (docs/documents.md has the figures): pyHanko's stock ``SimpleSigner`` re-parses the private key on
every signature and builds a whole dry-run signature to measure its size; pyHanko's font engine parses and
subsets the whole font, layout tables included, per stamp. Here the parsed key is kept per process
(keyed by certificate fingerprint), the signature's space is reserved at a fixed size (no dry run; the
dry-run hook answers without signing should it run), and the stamp font is
a subset of Noto Sans (Latin and Vietnamese, no layout tables: the stamp text is NFC, so precomposed
Vietnamese letters need no shaping) made once per process.
"""

from __future__ import annotations

import io
import textwrap
import threading
import unicodedata
from datetime import datetime
from functools import cache
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from fontTools import subset, ttLib
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from civicpay.core import clock
from civicpay.documents import ca
from civicpay.documents.models import Certificate
from civicpay.documents.pdf import FONTS_DIR

SIGNATURE_FIELD = "ChuKySo"
# (x1, y1, x2, y2) in PDF points on an A4 page (595 × 842), bottom right, inside the 40 mm bottom margin
# that print_base.html keeps free of content; the verification footer takes the left 108 mm.
STAMP_BOX = (362, 22, 550, 104)
_STAMP_WRAP = 44  # characters per stamp line at 7 pt in a 188 pt wide box
# Space reserved for the CMS signature (bytes; twice that in hex in the file). Ours is about 4.5 KB: the
# RSA-2048 signature, signed attributes and three certificates (leaf, issuing CA, root). Reserving a fixed
# size saves pyHanko from building a whole dry-run signature to measure it.
SIGNATURE_BYTES_RESERVED = 8192

# Latin, Latin-1, Latin Extended-A/B, combining diacritics, Vietnamese precomposed letters, punctuation, ₫.
_STAMP_FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x323), (0x1EA0, 0x1EF9), (0x2010, 0x2027), (0x20AB, 0x20AB))


@cache
def _stamp_font_bytes() -> bytes:
    options = subset.Options()
    options.drop_tables += ["GPOS", "GSUB", "GDEF"]
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = ttLib.TTFont(str(FONTS_DIR / "NotoSans-Regular.ttf"))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in _STAMP_FONT_RANGES for c in range(first, last + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _StampFont(FontEngineFactory):
    """pyHanko font engine over the in-memory stamp subset (GlyphAccumulatorFactory wants a file path)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer, font_handle=io.BytesIO(_stamp_font_bytes()), font_size=self.size, obj_stream=obj_stream
        )


STAMP_STYLE = TextStampStyle(
    stamp_text="%(text)s",
    text_box_style=TextBoxStyle(font=_StampFont(7), font_size=7, leading=9),
    border_width=1,
)


class _PreparedSigner(signers.SimpleSigner):
    """A SimpleSigner whose RSA key is parsed once, and which does not sign just to measure the size."""

    def __init__(self, *, certificate: Any, key_info: Any, private_key: RSAPrivateKey, registry: Any) -> None:
        super().__init__(signing_cert=certificate, signing_key=key_info, cert_registry=registry)
        self._private_key = private_key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._private_key.key_size // 8)
        return self._private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


_signers: dict[str, _PreparedSigner] = {}
_signers_lock = threading.Lock()


def _signer_for(certificate: Certificate) -> _PreparedSigner:
    """The prepared signer of ``certificate``, cached per process by certificate fingerprint (a rotated
    certificate has a new fingerprint, so it gets a new signer; keys never change under a fingerprint)."""
    with _signers_lock:
        signer = _signers.get(certificate.fingerprint_sha256)
    if signer is not None:
        return signer
    private_key = ca.load_private_key(certificate)
    key_info = asn1_keys.PrivateKeyInfo.load(
        private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain = [asn1_x509.Certificate.load(bytes(c.der)) for c in ca.chain_for(certificate)]
    signer = _PreparedSigner(
        certificate=chain[0],
        key_info=key_info,
        private_key=private_key,
        registry=SimpleCertificateStore.from_certs(chain[1:]),
    )
    with _signers_lock:
        _signers[certificate.fingerprint_sha256] = signer
    return signer


def stamp_text(*, signer_name: str, signed_at: datetime) -> str:
    local = clock.local(signed_at)
    lines = [
        *textwrap.wrap(f"Ký số bởi: {signer_name}", _STAMP_WRAP),
        f"Thời gian ký: {local:%H:%M:%S %d/%m/%Y} (GMT+7)",
        "Chữ ký số PAdES – kiểm tra bằng mã tra cứu",
    ]
    return unicodedata.normalize("NFC", "\n".join(lines))


def sign_pdf(
    pdf: bytes, *, certificate: Certificate, signed_at: datetime, reason: str = "", location: str = ""
) -> bytes:
    """``pdf`` signed by ``certificate`` (PAdES B-B, visible stamp on the last page)."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=_signer_for(certificate),
        stamp_style=STAMP_STYLE,
        new_field_spec=fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=-1, box=STAMP_BOX),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    text = stamp_text(signer_name=certificate.subject_name, signed_at=signed_at)
    out = pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, appearance_text_params={"text": text})
    return bytes(out.getbuffer())
