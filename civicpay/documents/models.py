"""Issued documents and the keys and certificates that sign them.

``IssuedDocument`` is write-once: its file, hash, lookup code and everything printed on it never change and
it is never deleted. Cancelling or replacing a document issues a new one that points at the old through
``replaces``; the only change the old row accepts is losing its ``is_current`` flag (see ``save``).

``SigningKey`` holds one private key, encrypted at rest (``civicpay.documents.keystore``). ``Certificate``
is the X.509 certificate of one key, issued by the platform's private CA (``civicpay.documents.ca``);
rotated certificates stay, so documents signed with them can still be checked.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.documents.storage import document_storage


class DocumentKind(models.TextChoices):
    FEE_NOTICE = "fee_notice", _("Thông báo nộp phí, lệ phí")
    RECEIPT = "receipt", _("Biên lai thu phí, lệ phí")
    REGISTRATION_FORM = "registration_form", _("Đơn đăng ký thanh toán trực tuyến")
    PAYMENT_INSTRUCTIONS = "payment_instructions", _("Chỉ dẫn thanh toán")
    CONTRACT = "contract", _("Hợp đồng điện tử")


class ReplacementKind(models.TextChoices):
    REPLACE = "replace", _("Thay thế")
    CANCEL = "cancel", _("Hủy")


class CertificateRole(models.TextChoices):
    ROOT = "root", _("CA gốc")
    ISSUING = "issuing", _("CA cấp chứng thư")
    AGENCY = "agency", _("Cơ quan")
    PLATFORM = "platform", _("Nền tảng")


# The issuer code of documents the platform itself signs (contracts); agencies sign with their own code.
PLATFORM_ISSUER = "platform"


class SigningKey(models.Model):
    """A private key, stored only encrypted (AES-256-GCM under a key derived from
    settings.DOCUMENTS_KEY_ENCRYPTION_KEY, bound to the public key's hash)."""

    algorithm = models.CharField(max_length=16)
    public_key_sha256 = models.CharField(max_length=64, unique=True)
    encrypted_private_key = models.BinaryField()
    kek_id = models.CharField(
        max_length=16, help_text="First bytes of the hash of the encryption key, to tell which key wrapped this one"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("khóa ký")
        verbose_name_plural = _("khóa ký")

    def __str__(self) -> str:
        return f"{self.algorithm} {self.public_key_sha256[:16]}"


class Certificate(models.Model):
    """A certificate of the platform's CA: the root, the issuing CA, an agency's or the platform's."""

    role = models.CharField(_("vai trò"), max_length=16, choices=CertificateRole.choices)
    subject_code = models.CharField(
        _("mã chủ thể"), max_length=32, help_text="Agency code, 'platform', or the CA's role"
    )
    subject_name = models.CharField(_("tên chủ thể"), max_length=255)
    serial_number = models.CharField(_("số hiệu"), max_length=64, unique=True)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    der = models.BinaryField()
    key = models.OneToOneField(SigningKey, on_delete=models.PROTECT, related_name="certificate")
    issuer = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="issued")
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    is_current = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(_("ngừng dùng lúc"), null=True, blank=True)

    class Meta:
        ordering = ["role", "subject_code", "-created_at"]
        constraints = [
            # One current certificate per subject: two first signatures racing cannot create two.
            models.UniqueConstraint(
                fields=["role", "subject_code"], condition=models.Q(is_current=True), name="one_current_certificate"
            )
        ]
        verbose_name = _("chứng thư số")
        verbose_name_plural = _("chứng thư số")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.subject_name} ({self.serial_number[:12]})"


class IssuedDocumentQuerySet(models.QuerySet["IssuedDocument"]):
    def update(self, **kwargs: Any) -> int:
        if not set(kwargs) <= IssuedDocument.MUTABLE_FIELDS:
            raise PermissionError("Issued documents are immutable; issue a replacement instead")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Issued documents are never deleted; issue a cancellation instead")


class IssuedDocument(models.Model):
    """One PDF the platform issued, stored once with its hash and lookup code (mã tra cứu)."""

    MUTABLE_FIELDS = frozenset({"is_current", "superseded_at"})

    lookup_code = models.CharField(_("mã tra cứu"), max_length=12, unique=True)
    kind = models.CharField(_("loại tài liệu"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(storage=document_storage, max_length=200)
    media_type = models.CharField(max_length=64, default="application/pdf")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    issuer_code = models.CharField(_("đơn vị phát hành"), max_length=32)
    issuer_name = models.CharField(_("tên đơn vị phát hành"), max_length=255)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="documents")
    owner_kind = models.CharField(max_length=40)
    owner_id = models.BigIntegerField()
    # What the public verification page shows: only what is printed on the document, nothing personal.
    title = models.CharField(_("tiêu đề"), max_length=255)
    document_date = models.DateField(_("ngày tài liệu"))
    amount = models.BigIntegerField(_("số tiền (VNĐ)"), null=True, blank=True)
    reference = models.CharField(_("số hiệu"), max_length=64, blank=True)
    issued_at = models.DateTimeField(_("thời điểm phát hành"), db_index=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("thay thế")
    )
    replacement_kind = models.CharField(max_length=8, choices=ReplacementKind.choices, blank=True)
    replacement_reason = models.CharField(_("lý do"), max_length=500, blank=True)
    is_current = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = IssuedDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            # One current document per owner and kind: document_issue_once cannot issue twice, and a new
            # version must name the one it replaces.
            models.UniqueConstraint(
                fields=["kind", "owner_kind", "owner_id"],
                condition=models.Q(is_current=True),
                name="one_current_document_per_owner_and_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0), name="document_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=(models.Q(replaces__isnull=True) & models.Q(replacement_kind=""))
                | (models.Q(replaces__isnull=False) & ~models.Q(replacement_kind="")),
                name="document_replacement_kind_with_replaces",
            ),
        ]
        indexes = [models.Index(fields=["owner_kind", "owner_id"])]
        verbose_name = _("tài liệu đã phát hành")
        verbose_name_plural = _("tài liệu đã phát hành")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference or self.lookup_code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS:
                raise PermissionError("Issued documents are immutable; issue a replacement instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Issued documents are never deleted; issue a cancellation instead")

    @property
    def lookup_code_display(self) -> str:
        """``ABCD2345EFGH`` → ``ABCD-2345-EFGH`` (as printed)."""
        from civicpay.documents.codes import format_lookup_code

        return format_lookup_code(self.lookup_code)
