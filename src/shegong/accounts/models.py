from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.accounts.choices import Role
from shegong.core import permissions
from shegong.core.pii import BlindIndexField, EncryptedTextField, PIIKind
from shegong.core.scoping import ScopedManager


class User(AbstractUser):
    """A staff member or volunteer. Workers filing appeals have no account (they verify a phone)."""

    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    phone = EncryptedTextField(_("mobile phone"), kind=PIIKind.PHONE)
    phone_hash = BlindIndexField(source="phone", kind=PIIKind.PHONE)
    division = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("home division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Where the account is managed; empty for nationwide accounts."),
    )
    unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    password_changed_at = models.DateTimeField(_("password changed at"), default=timezone.now)
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)
    totp_secret = EncryptedTextField(_("TOTP secret"), kind=PIIKind.TEXT)
    totp_enabled = models.BooleanField(_("second factor enabled"), default=False)
    totp_last_step = models.BigIntegerField(_("last TOTP step used"), default=0)
    is_demo = models.BooleanField(_("demo account"), default=False)

    objects = UserManager()  # type: ignore[misc]
    scoped = ScopedManager["User"](division_field="division")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("This username is taken."),
            ),
        ]

    def __str__(self) -> str:
        return self.real_name or self.username

    # --- scoping -----------------------------------------------------------------------------------------
    def active_grants(self) -> list[Grant]:
        """The user's active grants with their divisions, loaded once per user object."""
        cache: list[Grant] | None = getattr(self, "_grant_cache", None)
        if cache is None:
            cache = list(self.grants.select_related("division").filter(is_active=True))
            self._grant_cache = cache
        return cache

    def scope_prefixes(self, perm: str) -> list[str]:
        """Division prefixes under which this user holds `perm` ('' = nationwide)."""
        if not self.is_active:
            return []
        return [g.prefix for g in self.active_grants() if perm in permissions.perms_of_role(g.role)]

    def roles(self) -> list[str]:
        return sorted({g.role for g in self.active_grants()})

    def has_scope_perm(self, perm: str) -> bool:
        return bool(self.scope_prefixes(perm))

    def invalidate_grant_cache(self) -> None:
        self.__dict__.pop("_grant_cache", None)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.invalidate_grant_cache()
        super().refresh_from_db(*args, **kwargs)


class Grant(models.Model):
    """A user holds `role` over the subtree of `division` (nationwide when empty), optionally for one unit."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    division = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty means nationwide."),
    )
    unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "division", "unit"],
                name="accounts_grant_unique",
                nulls_distinct=False,
                violation_error_message=_("The user already holds this role here."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.division or _('Nationwide')}"

    @property
    def prefix(self) -> str:
        return self.division.prefix if self.division_id else ""  # type: ignore[union-attr]


class LoginFailure(models.Model):
    """Consecutive failed logins per username (existing or not, so lockout reveals nothing)."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login failure record")
        verbose_name_plural = _("login failure records")

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"


class ApiToken(models.Model):
    """A bearer token for a system calling the API on behalf of a user; only its hash is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
