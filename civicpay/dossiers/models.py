"""Dossiers (hồ sơ): an application for an administrative procedure, its attachments and timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.dossiers.storage import attachment_path, private_storage


class DossierStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Chờ tiếp nhận")
    AWAITING_PAYMENT = "awaiting_payment", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    RECEIVED = "received", _("Đã tiếp nhận")
    PROCESSING = "processing", _("Đang giải quyết")
    ADDITIONAL_INFO_REQUESTED = "additional_info_requested", _("Yêu cầu bổ sung")
    RESULT_READY = "result_ready", _("Có kết quả")
    COMPLETED = "completed", _("Đã trả kết quả")
    REJECTED = "rejected", _("Từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút")


class FeeStatus(models.TextChoices):
    NONE = "none", _("Không có phí / chưa yêu cầu")
    AWAITING = "awaiting", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")


class AttachmentPurpose(models.TextChoices):
    APPLICATION = "application", _("Thành phần hồ sơ")
    ADDITIONAL = "additional", _("Tài liệu bổ sung")
    RESULT = "result", _("Kết quả giải quyết")


class Dossier(models.Model):
    """One application. ``code`` is public (look-up, pay by code); the applicant_* fields are a copy of
    the applicant's details at submission, so later profile edits do not rewrite the record."""

    code = models.CharField(_("mã hồ sơ"), max_length=48, unique=True)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("cơ quan")
    )
    procedure = models.ForeignKey(
        "directory.Procedure", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("thủ tục")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("người nộp")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("tổ chức"),
    )
    applicant_name = models.CharField(_("tên người nộp"), max_length=255)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=15, blank=True)
    applicant_id_number = models.CharField(_("số giấy tờ / mã số thuế"), max_length=20, blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    details = models.JSONField(_("nội dung"), default=dict, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=32, choices=DossierStatus.choices, default=DossierStatus.SUBMITTED
    )
    fee_status = models.CharField(_("phí, lệ phí"), max_length=12, choices=FeeStatus.choices, default=FeeStatus.NONE)
    submitted_at = models.DateTimeField(_("ngày nộp"))
    receipt_number = models.CharField(_("số biên nhận"), max_length=20, null=True, blank=True)
    receipt_year = models.PositiveSmallIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("ngày tiếp nhận"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment_date = models.DateField(_("ngày hẹn trả kết quả"), null=True, blank=True)
    rejection_reason = models.TextField(_("lý do từ chối"), blank=True)
    additional_info_reason = models.TextField(_("nội dung yêu cầu bổ sung"), blank=True)
    result_note = models.TextField(_("ghi chú kết quả"), blank=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "receipt_year", "receipt_number"],
                name="dossier_receipt_number_unique_per_agency_year",
            )
        ]
        indexes = [
            # The officer queue: one agency, optionally one status, newest first (1M-row table).
            models.Index(fields=["agency", "status", "-submitted_at"], name="dossier_queue_status_idx"),
            models.Index(fields=["agency", "-submitted_at"], name="dossier_queue_idx"),
            models.Index(fields=["agency", "fee_status", "-submitted_at"], name="dossier_queue_fee_idx"),
            models.Index(fields=["agency", "applicant_phone"], name="dossier_agency_phone_idx"),
            models.Index(fields=["agency", "applicant_id_number"], name="dossier_agency_idnum_idx"),
            models.Index(fields=["applicant", "-submitted_at"], name="dossier_applicant_idx"),
            models.Index(fields=["organisation", "-submitted_at"], name="dossier_organisation_idx"),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

    @property
    def status_label(self) -> str:
        return str(DossierStatus(self.status).label)

    @property
    def fee_status_label(self) -> str:
        return str(FeeStatus(self.fee_status).label)

    @property
    def is_paid(self) -> bool:
        return self.fee_status == FeeStatus.PAID

    @property
    def amount_due(self) -> int:
        """Total of the issued (unpaid) payment request, 0 if none. Lists annotate it
        (``annotated_amount_due``) so this does not cost one query per row."""
        annotated = self.__dict__.get("annotated_amount_due")
        if annotated is not None or "annotated_amount_due" in self.__dict__:
            return int(annotated or 0)
        if self.fee_status != FeeStatus.AWAITING:
            return 0
        from civicpay.billing.selectors import payment_request_current_for_owner

        request = payment_request_current_for_owner(owner_kind="dossier", owner_id=self.pk)
        return request.total if request is not None and request.is_payable else 0


class DossierAttachment(models.Model):
    """A file of a dossier, validated by content and stored privately under a random name."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField(
        _("loại tài liệu"), max_length=12, choices=AttachmentPurpose.choices, default=AttachmentPurpose.APPLICATION
    )
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)

    class Meta:
        ordering = ["dossier", "uploaded_at", "id"]
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")

    def __str__(self) -> str:
        return self.original_name


class DossierStatusChange(models.Model):
    """One step of the citizen-visible timeline (append-only, written by the services)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=32, choices=DossierStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=DossierStatus.choices)
    at = models.DateTimeField(_("thời điểm"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["dossier", "at", "id"]
        verbose_name = _("lịch sử trạng thái")
        verbose_name_plural = _("lịch sử trạng thái")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.from_status} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return str(DossierStatus(self.to_status).label)

    @property
    def from_label(self) -> str:
        return str(DossierStatus(self.from_status).label) if self.from_status else ""
