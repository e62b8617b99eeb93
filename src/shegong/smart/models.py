"""What the smart module remembers: the suggestion made for each appeal, every dispatcher's correction of it
(the training signal), and the trained classifier versions with their held-out scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import Urgency


class TrainedModel(models.Model):
    """One trained classifier: where its file is, what it was trained on, how it scored on the held-out
    split. Exactly one row is live; `shegong smart retrain` adds a row and makes it live only when its
    held-out score does not drop."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    path = models.CharField(_("file"), max_length=300)
    sha256 = models.CharField(_("checksum"), max_length=64)
    seed_examples = models.PositiveIntegerField(_("seed examples"), default=0)
    history_examples = models.PositiveIntegerField(_("corrected history examples"), default=0)
    heldout_top1 = models.FloatField(_("held-out top-1 accuracy"), null=True, blank=True)
    heldout_top3 = models.FloatField(_("held-out top-3 accuracy"), null=True, blank=True)
    heldout_macro_f1 = models.FloatField(_("held-out macro F1"), null=True, blank=True)
    heldout_urgent_recall = models.FloatField(_("held-out urgent recall"), null=True, blank=True)
    heldout_urgent_precision = models.FloatField(_("held-out urgent precision"), null=True, blank=True)
    is_live = models.BooleanField(_("live"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("trained classifier")
        verbose_name_plural = _("trained classifiers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_live"], condition=Q(is_live=True), name="smart_one_live_model"
            ),
        ]

    def __str__(self) -> str:
        return self.version


class Suggestion(models.Model):
    """What the classifier suggested for one appeal when it was filed (or first classified)."""

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="suggestion"
    )
    model_version = models.CharField(_("model version"), max_length=40)
    # [[category code, probability], …] best first, at most three
    top = models.JSONField(_("suggested categories"))
    urgency = models.CharField(_("suggested urgency"), max_length=10, choices=Urgency.choices)
    urgent_probability = models.FloatField(_("urgency probability"))
    unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("suggested unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    auto_accepted = models.BooleanField(_("accepted automatically"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("classification suggestion")
        verbose_name_plural = _("classification suggestions")

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.top[0][0] if self.top else '-'}"

    @property
    def category_code(self) -> str:
        return str(self.top[0][0]) if self.top else ""

    @property
    def confidence(self) -> float:
        return float(self.top[0][1]) if self.top else 0.0


class Correction(models.Model):
    """A dispatcher's decision compared with the suggestion: the training signal for `smart retrain` and
    the routing history where the catalogue is ambiguous. Written when intake accepts or dispatches."""

    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="corrections"
    )
    text = models.TextField(_("text at the time"))
    suggested_category = models.CharField(_("suggested category"), max_length=40, blank=True)
    chosen_category = models.CharField(_("chosen category"), max_length=40, blank=True)
    suggested_urgency = models.CharField(_("suggested urgency"), max_length=10, blank=True)
    chosen_urgency = models.CharField(_("chosen urgency"), max_length=10, blank=True)
    suggested_unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("suggested unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    chosen_unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("chosen unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("dispatcher correction")
        verbose_name_plural = _("dispatcher corrections")
        ordering = ["at", "pk"]
        indexes = [
            # routing history: past choices for one division and category
            models.Index(fields=["division", "chosen_category"], name="smart_correction_div_cat"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.suggested_category}→{self.chosen_category}"
