"""Audit action codes written by accounts (`accounts.<object>.<verb>`); registered in AccountsConfig.ready().

Revealing a phone number in full is core's `CoreAction.PII_REVEALED`, shared by every module.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountsAction(models.TextChoices):
    LOGIN_SUCCEEDED = "accounts.login.succeeded", _("Logged in")
    LOGIN_FAILED = "accounts.login.failed", _("Login failed")
    LOGIN_LOCKED = "accounts.login.locked", _("Account locked after repeated login failures")
    LOGOUT = "accounts.logout", _("Logged out")
    PASSWORD_CHANGED = "accounts.password.changed", _("Password changed")
    PASSWORD_RESET = "accounts.password.reset", _("Password reset by an administrator")
    USER_CREATED = "accounts.user.created", _("Account created")
    USER_UPDATED = "accounts.user.updated", _("Account updated")
    USER_DISABLED = "accounts.user.disabled", _("Account disabled")
    GRANT_ADDED = "accounts.grant.added", _("Role granted")
    GRANT_REMOVED = "accounts.grant.removed", _("Role withdrawn")
    TOTP_ENABLED = "accounts.totp.enabled", _("Second factor enabled")
    TOTP_DISABLED = "accounts.totp.disabled", _("Second factor disabled")
    API_TOKEN_CREATED = "accounts.api_token.created", _("API token created")
    API_TOKEN_REVOKED = "accounts.api_token.revoked", _("API token revoked")
    ACCOUNT_UNLOCKED = "accounts.account.unlocked", _("Account unlocked")
