"""PAdES signatures with pyHanko: sign a PDF with a certificate of our CA, with a visible stamp.

The signature is PAdES baseline B-B (``/ETSI.CAdES.detached``, SHA-256, RSA PKCS#1 v1.5) and carries the
whole chain up to the root. Its visible stamp (signer and time, in the bundled Noto Sans so Vietnamese
names print) sits in ``STAMP_BOX`` on the last page, the area documents/print_base.html leaves free.

Speed (docs/performance.md has the figures). Everything that does not change from one signature to the
next is prepared once per process and kept:

- the signer, per certificate fingerprint (a rotated certificate has a new fingerprint, so the next
  document gets a new signer; keys never change under a fingerprint): the key decrypted from the keystore
  and parsed once, the chain, and the signing-certificate-v2 attribute already encoded. pyHanko builds
  that attribute afresh for every signature, and asn1crypto re-encodes freshly built nested values over
  and over when it serialises them (wbond/asn1crypto#256): 15–20 ms per signature for a 153-byte
  attribute. Taken from its DER it costs nothing, and the signed attributes are byte for byte the same;
- no dry-run signature: the signature's space is reserved at a fixed size;
- the stamp's font: a subset of Noto Sans holding exactly the characters of the signer's stamp (its
  fixed text, the signer's name, the ten digits of the time), made once and embedded as it is. pyHanko's
  own engine (GlyphAccumulator) re-parses, subsets and re-compiles the font for every stamp, about 10 ms.
  The stamp text is NFC and needs no shaping (precomposed Vietnamese letters, no layout tables), so
  glyphs are the font's cmap and advances its widths.
"""

from __future__ import annotations

import io
import textwrap
import threading
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from fontTools import subset, ttLib
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.general import as_signing_certificate_v2, get_pyca_cryptography_hash
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
_STAMP_FONT_SIZE = 7
_STAMP_LEADING = 9
# Space reserved for the CMS signature (bytes; twice that in hex in the file). Ours is about 4.5 KB: the
# RSA-2048 signature, signed attributes and three certificates (leaf, issuing CA, root). Reserving a fixed
# size saves pyHanko from building a whole dry-run signature to measure it.
SIGNATURE_BYTES_RESERVED = 8192

# Latin, Latin-1, Latin Extended-A/B, combining diacritics, Vietnamese precomposed letters, punctuation, ₫:
# what a stamp can print; anything else prints as the font's .notdef box.
_STAMP_FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x323), (0x1EA0, 0x1EF9), (0x2010, 0x2027), (0x20AB, 0x20AB))
_DIGITS = frozenset("0123456789")
_STAMP_FONTS_KEPT = 256  # one per distinct stamp character set, i.e. per signer name


def _subset_font(font: ttLib.TTFont, unicodes: Iterable[int]) -> bytes:
    options = subset.Options()
    options.drop_tables += ["GPOS", "GSUB", "GDEF"]
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=list(unicodes))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _stamp_font_bytes() -> bytes:
    """Noto Sans cut down to ``_STAMP_FONT_RANGES`` (the source of every stamp font)."""
    font = ttLib.TTFont(str(FONTS_DIR / "NotoSans-Regular.ttf"))
    return _subset_font(font, (c for first, last in _STAMP_FONT_RANGES for c in range(first, last + 1)))


@dataclass(frozen=True)
class _StampFontProgram:
    """A TrueType subset for a set of characters, with what a PDF needs to embed it as a CIDFontType2
    (glyph ids as CIDs, ``Identity-H``), prepared once."""

    postscript_name: str
    font_file: bytes  # the TrueType program, Flate-compressed
    font_file_length: int  # its uncompressed length (/Length1)
    glyphs: dict[str, int]  # character → glyph id
    widths: tuple[int, ...]  # advance width of every glyph, in 1/1000 em
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float
    stem_v: int
    to_unicode: bytes  # ToUnicode CMap, Flate-compressed


def _to_unicode_cmap(glyph_chars: dict[int, str]) -> bytes:
    entries = [f"<{gid:04x}> <{char.encode('utf-16-be').hex()}>" for gid, char in sorted(glyph_chars.items())]
    blocks = []
    for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block
        chunk = entries[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


@lru_cache(maxsize=_STAMP_FONTS_KEPT)
def _stamp_font_program(characters: frozenset[str]) -> _StampFontProgram:
    source = ttLib.TTFont(io.BytesIO(_stamp_font_bytes()))
    available = source.getBestCmap()
    program = _subset_font(source, sorted(ord(c) for c in characters if ord(c) in available))
    font = ttLib.TTFont(io.BytesIO(program))
    cmap = font.getBestCmap()
    order = font.getGlyphOrder()
    glyph_ids = {name: gid for gid, name in enumerate(order)}
    glyphs = {c: glyph_ids[cmap[ord(c)]] for c in sorted(characters) if ord(c) in cmap}
    glyph_chars: dict[int, str] = {}
    for char, gid in glyphs.items():
        glyph_chars.setdefault(gid, char)  # sorted: a glyph shared by two characters reads as the first
    scale = 1000 / font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    return _StampFontProgram(
        postscript_name=str(font["name"].getDebugName(6) or "NotoSans-Regular"),
        font_file=zlib.compress(program),
        font_file_length=len(program),
        glyphs=glyphs,
        widths=tuple(round(metrics[name][0] * scale) for name in order),
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(getattr(os2, "sCapHeight", 714) * scale),
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        italic_angle=float(font["post"].italicAngle),
        stem_v=int(10 + 220 * (os2.usWeightClass - 50) / 900),
        to_unicode=zlib.compress(_to_unicode_cmap(glyph_chars)),
    )


def _name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


def _flate_stream(data: bytes, **entries: generic.PdfObject) -> generic.StreamObject:
    dictionary: dict[generic.NameObject, generic.PdfObject] = {_name("/Filter"): _name("/FlateDecode")}
    dictionary.update({_name(f"/{key}"): value for key, value in entries.items()})
    return generic.StreamObject(dictionary, encoded_data=data)


class _StampFontEngine(FontEngine):
    """pyHanko font engine over a prepared ``_StampFontProgram``: glyphs by cmap, no shaping, the whole
    (small) program embedded as it is."""

    def __init__(self, writer: BasePdfFileWriter, program: _StampFontProgram, font_size: int, obj_stream: Any):
        super().__init__(
            writer, program.postscript_name, embedded_subset=True, obj_stream=obj_stream, font_size=font_size
        )
        self.program = program
        self._font_ref = writer.allocate_placeholder()
        self._written = False

    @property
    def uses_complex_positioning(self) -> bool:
        return False  # one Tj per line: the PDF viewer advances by the /W widths

    def shape(self, txt: str) -> ShapeResult:
        glyphs = [self.program.glyphs.get(char, 0) for char in txt]  # 0: .notdef
        hex_glyphs = "".join(f"{gid:04x}" for gid in glyphs)
        advance = sum(self.program.widths[gid] for gid in glyphs) / 1000
        return ShapeResult(graphics_ops=f"<{hex_glyphs}> Tj".encode("ascii"), x_advance=advance, y_advance=0)

    def as_resource(self) -> generic.IndirectObject:
        return self._font_ref

    def prepare_write(self) -> None:
        if self._written:  # the writer asks before each time it writes
            return
        self._written = True
        program, writer, obj_stream = self.program, self.writer, self.obj_stream
        base_font = _name(f"/{self.subset_prefix}+{program.postscript_name}")
        font_file = writer.add_object(
            _flate_stream(program.font_file, Length1=generic.NumberObject(program.font_file_length))
        )
        descriptor = generic.DictionaryObject(
            {
                _name("/Type"): _name("/FontDescriptor"),
                _name("/FontName"): base_font,
                _name("/Flags"): generic.NumberObject(4),  # symbolic: glyphs are addressed by id
                _name("/FontBBox"): generic.ArrayObject(generic.NumberObject(v) for v in program.bbox),
                _name("/ItalicAngle"): generic.FloatObject(program.italic_angle),
                _name("/Ascent"): generic.NumberObject(program.ascent),
                _name("/Descent"): generic.NumberObject(program.descent),
                _name("/CapHeight"): generic.NumberObject(program.cap_height),
                _name("/StemV"): generic.NumberObject(program.stem_v),
                _name("/FontFile2"): font_file,
            }
        )
        cid_font = generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/CIDFontType2"),
                _name("/BaseFont"): base_font,
                _name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        _name("/Registry"): generic.pdf_string("Adobe"),
                        _name("/Ordering"): generic.pdf_string("Identity"),
                        _name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                _name("/FontDescriptor"): writer.add_object(descriptor, obj_stream=obj_stream),
                _name("/CIDToGIDMap"): _name("/Identity"),
                _name("/W"): generic.ArrayObject(
                    [
                        generic.NumberObject(0),
                        generic.ArrayObject(generic.NumberObject(width) for width in program.widths),
                    ]
                ),
            }
        )
        type0 = generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type0"),
                _name("/BaseFont"): base_font,
                _name("/Encoding"): _name("/Identity-H"),
                _name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font, obj_stream=obj_stream)]),
                _name("/ToUnicode"): writer.add_object(_flate_stream(program.to_unicode)),
            }
        )
        writer.add_object(type0, obj_stream=obj_stream, idnum=self._font_ref.idnum)


class _StampFont(FontEngineFactory):
    def __init__(self, program: _StampFontProgram, size: int) -> None:
        self.program = program
        self.size = size

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> FontEngine:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return _StampFontEngine(writer, self.program, self.size, obj_stream)


@lru_cache(maxsize=_STAMP_FONTS_KEPT)
def _stamp_style(characters: frozenset[str]) -> TextStampStyle:
    """The stamp style whose font holds ``characters``."""
    font = _StampFont(_stamp_font_program(characters), _STAMP_FONT_SIZE)
    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(font=font, font_size=_STAMP_FONT_SIZE, leading=_STAMP_LEADING),
        border_width=1,
    )


class _SigningCertificateV2(attributes.SigningCertificateV2Provider):
    """The signing-certificate-v2 attribute of one certificate, encoded once and re-read from its DER
    for every signature (see the module docstring)."""

    def __init__(self, signing_cert: asn1_x509.Certificate) -> None:
        super().__init__(signing_cert)
        self._der = as_signing_certificate_v2(signing_cert).dump()

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class _PadesSignedAttributes(attributes.SignedAttributeProviderSpec):
    """What pyHanko's CAdESSignedAttributeProviderSpec gives a PAdES signature with neither CAdES
    attributes nor a timestamper (ours): signing-certificate-v2 alone (content type and message digest
    are added by pyHanko; PAdES carries the signing time in the signature dictionary, not here)."""

    def __init__(self, signing_cert: asn1_x509.Certificate) -> None:
        self._signing_certificate = _SigningCertificateV2(signing_cert)

    def signed_attr_providers(
        self, data_digest: bytes, digest_algorithm: str
    ) -> Iterable[attributes.CMSAttributeProvider]:
        yield self._signing_certificate


class _PreparedSigner(signers.SimpleSigner):
    """A SimpleSigner whose RSA key is parsed once, whose constant signed attribute is encoded once, and
    which does not sign just to measure the size."""

    def __init__(self, *, certificate: Any, key_info: Any, private_key: RSAPrivateKey, registry: Any) -> None:
        super().__init__(signing_cert=certificate, signing_key=key_info, cert_registry=registry)
        self._private_key = private_key
        self.signed_attr_prov_spec = _PadesSignedAttributes(certificate)

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
    text = stamp_text(signer_name=certificate.subject_name, signed_at=signed_at)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=_signer_for(certificate),
        # Every digit, not just this time's: one font (and one cached style) per signer name.
        stamp_style=_stamp_style((frozenset(text) | _DIGITS) - {"\n"}),
        new_field_spec=fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=-1, box=STAMP_BOX),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, appearance_text_params={"text": text})
    return bytes(out.getbuffer())
