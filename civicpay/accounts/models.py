from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, is_active=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a citizen, an organisation's representative, an officer or a platform admin.

    Logs in with e-mail or phone number + password. Inactive until the e-mail activation link is opened.
    """

    email = models.EmailField(_("e-mail"), unique=True)
    phone = models.CharField(_("số điện thoại"), max_length=15, unique=True, null=True, blank=True)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    id_number = models.CharField(_("số CCCD/CMND/hộ chiếu"), max_length=12, blank=True)
    is_active = models.BooleanField(_("đã kích hoạt"), default=False)
    is_staff = models.BooleanField(_("quản trị nền tảng"), default=False)
    date_joined = models.DateTimeField(_("ngày đăng ký"), default=timezone.now)
    activated_at = models.DateTimeField(_("ngày kích hoạt"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_officer(self) -> bool:
        return hasattr(self, "officer")


class Organisation(models.Model):
    """A business, organisation or household business that pays through its representatives."""

    name = models.CharField(_("tên tổ chức"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=14, unique=True)
    address = models.CharField(_("địa chỉ"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="OrganisationMember", related_name="organisations")

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")

    def __str__(self) -> str:
        return f"{self.name} (MST {self.tax_code})"


class OrganisationMember(models.Model):
    """A user who acts for an organisation (its legal or authorised representative)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organisation_memberships")
    position = models.CharField(_("chức vụ"), max_length=100, blank=True)
    is_legal_representative = models.BooleanField(_("người đại diện theo pháp luật"), default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class OfficerRole(models.TextChoices):
    RECEPTION = "reception", _("Cán bộ tiếp nhận")
    FINANCE = "finance", _("Cán bộ tài chính")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")


class Officer(models.Model):
    """An officer account: belongs to exactly one agency and holds one or more roles there."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="officer")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="officers")
    roles = models.JSONField(
        _("vai trò"), default=list, help_text=_("Danh sách vai trò: reception, finance, agency_admin")
    )
    title = models.CharField(_("chức danh"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")

    def __str__(self) -> str:
        return f"{self.user.full_name} – {self.agency}"

    def has_role(self, role: str) -> bool:
        return role in self.roles or OfficerRole.AGENCY_ADMIN in self.roles

    def role_labels(self) -> list[str]:
        return [str(OfficerRole(r).label) for r in self.roles if r in OfficerRole.values]
