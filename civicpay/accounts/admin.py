"""Django admin for accounts: platform admins manage users, organisations and officer accounts."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from civicpay.accounts.models import Officer, Organisation, OrganisationMember, User


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name", "phone")


class OrganisationMemberInline(admin.TabularInline):
    model = OrganisationMember
    extra = 0
    autocomplete_fields = ["user"]


class OfficerInline(admin.StackedInline):
    model = Officer
    extra = 0
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "phone", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name", "phone", "id_number"]
    readonly_fields = ["date_joined", "activated_at", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Thông tin cá nhân"), {"fields": ("full_name", "phone", "id_number")}),
        (_("Trạng thái"), {"fields": ("is_active", "activated_at", "date_joined", "last_login")}),
        (_("Quyền quản trị"), {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "phone", "password1", "password2")}),
    )
    inlines = [OfficerInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_code", "address", "created_at"]
    search_fields = ["name", "tax_code"]
    inlines = [OrganisationMemberInline]


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "is_legal_representative", "position", "joined_at"]
    list_filter = ["is_legal_representative"]
    search_fields = ["user__email", "user__full_name", "organisation__name", "organisation__tax_code"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "title", "roles"]
    list_filter = ["agency"]
    search_fields = ["user__email", "user__full_name", "agency__name"]
    autocomplete_fields = ["user"]
