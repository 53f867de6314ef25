from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.directory.text import fold


class FeeKind(models.TextChoices):
    """Kinds of charge on a fee notice; reported separately (GLOSSARY: phí ≠ lệ phí)."""

    FEE = "fee", _("Phí")
    CHARGE = "charge", _("Lệ phí")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Nghĩa vụ tài chính")


class Agency(models.Model):
    """An authority that receives dossiers and collects fees (cơ quan, đơn vị)."""

    code = models.CharField(_("mã cơ quan"), max_length=32, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    province_code = models.PositiveSmallIntegerField(
        _("tỉnh/thành phố"), help_text=_("Mã tỉnh theo danh mục sau 01/07/2025")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("cơ quan cấp trên"),
    )
    tax_code = models.CharField(_("mã số thuế"), max_length=14, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = ["province_code", "name"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # search_text is derived data, not business logic: refreshing it here means no write path
        # (admin, factories, services, shell) can leave an agency unfindable.
        self.search_text = agency_search_text(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def province_name(self) -> str:
        from civicpay.directory.places import province_name

        return province_name(self.province_code)


def agency_search_text(agency: Agency) -> str:
    """Code, name, address and province — current and pre-2025 names ("Quảng Nam" finds Đà Nẵng's agencies)."""
    from civicpay.directory.places import legacy_province_names, province_name

    parts = [agency.code, agency.name, agency.address, province_name(agency.province_code)]
    return fold(" ".join([*parts, *legacy_province_names(agency.province_code)]))


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) an agency handles, with its fee schedule."""

    code = models.CharField(_("mã thủ tục"), max_length=40)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("cơ quan"))
    processing_days = models.PositiveSmallIntegerField(_("thời hạn giải quyết (ngày làm việc)"), default=5)
    description = models.TextField(_("mô tả"), blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = ["agency", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="procedure_code_unique_per_agency")]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived search column, refreshed on every save for the same reason as Agency.search_text.
        self.search_text = procedure_search_text(code=self.code, name=self.name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)


def procedure_search_text(*, code: str, name: str) -> str:
    """What procedure search compares against: code and name, folded (no case, no diacritics)."""
    return fold(f"{code} {name}")


class FeeScheduleLine(models.Model):
    """One line of a procedure's fee schedule. ``amount`` is integer VND; ``None`` = set by the officer."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fee_lines")
    kind = models.CharField(_("loại"), max_length=24, choices=FeeKind.choices)
    description = models.CharField(_("nội dung"), max_length=255)
    amount = models.BigIntegerField(_("số tiền (VNĐ)"), null=True, blank=True, help_text=_("Để trống nếu cán bộ nhập"))
    unit = models.CharField(
        _("đơn vị tính"),
        max_length=30,
        blank=True,
        default="",
        help_text=_("Ví dụ: trang, bản. Để trống nếu thu một lần cho cả hồ sơ"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["procedure", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0), name="fee_line_amount_not_negative"
            )
        ]
        verbose_name = _("dòng biểu phí")
        verbose_name_plural = _("biểu phí")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"

    @property
    def set_by_officer(self) -> bool:
        return self.amount is None
