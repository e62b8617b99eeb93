"""The run: seed the rules, simulate the appeals, write them in bulk (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from shegong.appeals.choices import Channel, Satisfaction, State
from shegong.appeals.demo import texts
from shegong.appeals.demo.duplicates import duplicate_specs, make_room
from shegong.appeals.demo.hotspots import hotspot_specs
from shegong.appeals.demo.places import County, Routes, counties, redispatch, seed_demo_rules
from shegong.appeals.demo.plan import (
    API_REFS,
    APPEALS,
    CATEGORY_WEIGHTS,
    Planner,
    demo_tracking_numbers,
    duplicate_of,
    journey,
    rng_for,
)
from shegong.appeals.demo.rows import Actors, Record
from shegong.appeals.demo.timeline import Simulation
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    ExtensionRequest,
    RateExclusion,
    ReturnRecord,
    SlaMark,
    Supervision,
)


def demo_actors() -> Actors:
    """The demo accounts by role (the first active demo account holding the role)."""
    from shegong.accounts.choices import Role
    from shegong.accounts.models import Grant

    def grant(role: str) -> Any:
        return (
            Grant.objects.filter(role=role, is_active=True, user__is_demo=True, user__is_active=True)
            .select_related("user", "division", "unit__division__parent")
            .order_by("user_id", "pk")
            .first()
        )

    actors = Actors()
    if (admin := grant(Role.PLATFORM_ADMIN)) is not None:
        actors.admin = admin.user
    if (leader := grant(Role.LEADER)) is not None:
        actors.leader = leader.user
    if (intake := grant(Role.INTAKE)) is not None and intake.division_id:
        actors.intake, actors.intake_prefix = intake.user, intake.prefix
    if (handler := grant(Role.HANDLER)) is not None and handler.unit_id:
        actors.handler, actors.handler_unit = handler.user, handler.unit
    return actors


def _exclusions(
    records: list[Record], actors: Actors, anchor: dt.datetime, rng: random.Random
) -> list[RateExclusion]:
    """A few closed appeals judged 不合理诉求 after review."""
    if actors.leader is None:
        return []
    closed = [
        (r.appeal, r.appeal.closed_at)
        for r in records
        if r.appeal.state == State.CLOSED
        and r.appeal.closed_at is not None
        and r.appeal.closed_at + dt.timedelta(days=6) < anchor
        and (r.appeal.redo_count or r.appeal.satisfaction != Satisfaction.SATISFIED)
    ]
    return [
        RateExclusion(
            appeal=appeal,
            reason=rng.choice(texts.EXCLUSION_REASONS),
            by=actors.leader,
            at=closed_at + dt.timedelta(days=rng.uniform(1, 5)),
        )
        for appeal, closed_at in rng.sample(closed, k=min(8, len(closed)))
        if closed_at is not None
    ]


def seed_demo_appeals(*, today: dt.date | None = None) -> dict[str, int]:
    """Seed the demo dispatch rules and appeals (see the package docstring); a second run changes nothing.

    `today` is the run date (default: today, local time); the history ends at its midnight. Returns counts:
    rules added, appeals, events written (0 appeals when the demo appeals already exist)."""
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        districts = counties()
        categories = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
        if not districts or set(CATEGORY_WEIGHTS) - set(categories):
            return {"rules": 0, "appeals": 0, "events": 0}
        actors = demo_actors()
        rules = (
            seed_demo_rules(actor=actors.admin, counties=districts, categories=categories)
            if actors.admin
            else 0
        )
        numbers = demo_tracking_numbers()
        if Appeal.all_objects.filter(tracking_no__in=numbers).exists():
            return {"rules": rules, "appeals": 0, "events": 0}
        day = today or timezone.localdate()
        anchor = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
        records = _simulate(anchor, districts, categories, actors, numbers)
        exclusions = _exclusions(records, actors, anchor, rng_for("exclusions"))
        events = _write(records, exclusions)
    return {"rules": rules, "appeals": len(records), "events": events}


def _simulate(
    anchor: dt.datetime,
    counties: list[County],
    categories: dict[str, Category],
    actors: Actors,
    numbers: list[str],
) -> list[Record]:
    planner = Planner(anchor=anchor, counties=counties, categories=categories)
    waiting = journey(planner, actors, anchor) + hotspot_specs(planner, anchor)
    specs = [planner.spec(submitted_at=planner.when()) for _ in range(APPEALS - len(waiting))] + waiting
    specs = make_room(specs, duplicate_specs(planner, actors, anchor))
    specs.sort(key=lambda s: s.submitted_at)
    simulation = Simulation(
        anchor=anchor, actors=actors, rng=rng_for("fate"), route=Routes(), redispatch=redispatch
    )
    records: list[Record] = []
    for index, (spec, number) in enumerate(zip(specs, numbers, strict=True)):
        written = bool(spec.text)  # the hotspot bursts come written, about their own place
        if not spec.plain and not written and planner.rng.random() < 0.04:
            target = duplicate_of(spec, records, planner.rng)
            if target is not None:  # the same problem at the same place, told by a workmate
                spec.merge_into = target
                for name in ("situation", "worker_type", "letter", "platform"):
                    setattr(spec, name, getattr(target.spec, name))
                spec.slots = dict(target.spec.slots)
                if spec.channel in (Channel.API, Channel.OPEN311) and spec.platform not in API_REFS:
                    spec.channel = Channel.H5
        if not written:
            spec.text = planner.text(spec)
            spec.address, spec.lat, spec.lng = planner.address(spec)
        if spec.channel in (Channel.API, Channel.OPEN311):
            local = timezone.localtime(spec.submitted_at)
            spec.source_ref = f"{API_REFS[spec.platform]}{local:%Y%m%d}{index:05d}"
        records.append(simulation.run(spec, number))
    return records


def _write(records: list[Record], exclusions: list[RateExclusion]) -> int:
    """Save everything in bulk: appeals first (merged ones after their targets have keys), then children.
    Field validation runs on every row; foreign keys and the check constraints are the database's."""
    appeal_fks = ["category", "division", "unit", "filed_by", "merged_into"]
    for rec in records:
        rec.appeal.clean_fields(exclude=appeal_fks)
    plain = [r.appeal for r in records if r.merged_into is None]
    Appeal.all_objects.bulk_create(plain, batch_size=500)
    merged = []
    for rec in records:
        if rec.merged_into is not None:
            rec.appeal.merged_into = rec.merged_into.appeal
            merged.append(rec.appeal)
    Appeal.all_objects.bulk_create(merged, batch_size=500)
    if any(a.pk is None for a in plain + merged):  # a backend that does not return keys from bulk inserts
        keys = dict(
            Appeal.all_objects.filter(tracking_no__in=[r.appeal.tracking_no for r in records]).values_list(
                "tracking_no", "pk"
            )
        )
        for rec in records:
            rec.appeal.pk = keys[rec.appeal.tracking_no]
    rows: dict[type, list[Any]] = {}
    for rec in records:
        for child in rec.children():
            child.appeal = rec.appeal
            child.clean_fields(
                exclude=["appeal", "actor", "by", "unit", "level", "requested_by", "decided_by"]
            )
            rows.setdefault(type(child), []).append(child)
    for model in (AppealEvent, ReturnRecord, ExtensionRequest, Supervision, SlaMark):
        model.objects.bulk_create(rows.get(model, []), batch_size=1000)
    RateExclusion.objects.bulk_create(exclusions)
    return len(rows.get(AppealEvent, []))
