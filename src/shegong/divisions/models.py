from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shegong.core.scoping import ScopedManager
from shegong.divisions import codes
from shegong.divisions.choices import UNIT_TYPES_WITH_USCC, Level, UnitType


class Division(models.Model):
    """A node of the 统计用区划代码 tree: a 12-digit code whose prefix (2/4/6/9/12 digits) is its subtree."""

    code = models.CharField(
        _("division code"), max_length=12, primary_key=True, validators=[codes.validate_code]
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=[choice.value for choice in Level]),
                name="divisions_division_level_valid",
                violation_error_message=_("Unknown division level."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """The significant digits: every code in this subtree starts with them."""
        return self.code[: self.level]

    def clean(self) -> None:
        expected = codes.level_of(self.code)
        if expected != self.level:
            raise ValidationError({"level": _("The code does not match the level.")})


class Unit(models.Model):
    """单位: a department, street office, community committee, enterprise or organisation in a division."""

    name = models.CharField(_("name"), max_length=120)
    unit_type = models.CharField(_("unit type"), max_length=32, choices=UnitType.choices)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_phone = models.CharField(_("office phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Django's machinery (validation, admin, relations) uses the plain manager; request code uses `objects`.
    all_objects = models.Manager()
    objects = ScopedManager["Unit"](division_field="division")

    class Meta:
        default_manager_name = "all_objects"
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["division", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "name"],
                name="divisions_unit_name_unique_in_division",
                violation_error_message=_("A unit with this name already exists in this division."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.uscc:
            try:
                self.uscc = codes.validate_uscc(self.uscc)
            except ValidationError as exc:
                raise ValidationError({"uscc": exc.messages}) from exc
        elif self.unit_type in UNIT_TYPES_WITH_USCC:
            raise ValidationError(
                {"uscc": _("Enterprises and organisations need a unified social credit code.")}
            )
