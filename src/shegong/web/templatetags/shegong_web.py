"""Small template helpers for the page layouts."""

from __future__ import annotations

from django import template
from django.contrib.messages import constants

register = template.Library()

_ALERT = {
    constants.DEBUG: "alert-secondary",
    constants.INFO: "alert-info",
    constants.SUCCESS: "alert-success",
    constants.WARNING: "alert-warning",
    constants.ERROR: "alert-danger",
}


@register.filter
def alert_class(level: int) -> str:
    """The Bootstrap alert class for a django.contrib.messages level."""
    return _ALERT.get(level, "alert-info")
