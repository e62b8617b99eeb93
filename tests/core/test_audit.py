"""The audit log is append-only: the application refuses changes, and so does the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.core import audit, request_context
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from shegong.core.models.audit import AuditLogIsAppendOnly
from shegong.divisions.models import Unit
from tests.support.world import World

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the DELETE guard is a PostgreSQL trigger (SQLite test flushes delete)",
)


@pytest.fixture
def row(world: World) -> AuditEvent:
    return audit.record(action=AccountsAction.USER_UPDATED, target=world.home_unit)


def test_record_writes_actor_ip_request_id_and_division(world: World) -> None:
    actor = world.user(Role.INTAKE, world.home)
    token = request_context.set_current(request_context.RequestContext(ip="10.1.2.3", request_id="req-42"))
    try:
        event = audit.record(
            action=AccountsAction.USER_UPDATED, actor=actor, target=world.home_unit, changes={"a": 1}
        )
    finally:
        request_context.reset(token)
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == actor
    assert event.actor_label == actor.username
    assert event.actor_role == Role.INTAKE
    assert (event.ip, event.request_id) == ("10.1.2.3", "req-42")
    assert event.division_code == world.home.code  # taken from the target's division
    assert (event.target_type, event.target_id) == ("divisions.unit", str(world.home_unit.pk))
    assert event.target_label == str(world.home_unit)
    assert event.changes == {"a": 1}


def test_record_without_a_request_or_user_is_a_system_event() -> None:
    event = audit.record(action=CoreAction.CALENDAR_IMPORTED, actor_label="seed_calendar")
    assert (event.actor, event.actor_label, event.ip, event.request_id) == (None, "seed_calendar", None, "")
    assert event.division_code == ""


def test_unregistered_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unregistered"):
        audit.record(action="nobody.registered.this")
    assert not AuditEvent.objects.exists()


def test_model_save_of_an_existing_row_is_refused(row: AuditEvent) -> None:
    row.action = CoreAction.PII_REVEALED
    with pytest.raises(AuditLogIsAppendOnly):
        row.save()
    assert AuditEvent.objects.get(pk=row.pk).action == AccountsAction.USER_UPDATED


def test_queryset_update_and_delete_are_refused(row: AuditEvent) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=row.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=row.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=row.pk, action=AccountsAction.USER_UPDATED).exists()


def test_model_delete_is_refused(row: AuditEvent) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        row.delete()
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_raw_sql_update_is_refused_by_the_database(row: AuditEvent) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["forged", row.pk])  # noqa: S608
    assert AuditEvent.objects.get(pk=row.pk).action == AccountsAction.USER_UPDATED


@only_postgresql
def test_raw_sql_delete_of_a_recent_row_is_refused_on_postgresql(row: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="180 days"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [row.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=row.pk).exists()


@only_postgresql
def test_rows_past_the_retention_period_may_be_purged_by_the_operator() -> None:
    old = AuditEvent.objects.create(
        action=CoreAction.BACKUP_CREATED, at=timezone.now() - dt.timedelta(days=181)
    )
    recent = AuditEvent.objects.create(
        action=CoreAction.BACKUP_CREATED, at=timezone.now() - dt.timedelta(days=179)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [old.pk])  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [recent.pk])  # noqa: S608
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_failing_audit_write_rolls_the_business_change_back(world: World) -> None:
    """Fail closed: a service whose audit row cannot be written leaves no trace of its change."""

    @transaction.atomic
    def create_unit_service() -> Unit:
        unit = Unit.all_objects.create(name="无审计单位", unit_type="other", division=world.home)
        audit.record(action="divisions.unit.typo", target=unit)  # not in any registered vocabulary
        return unit

    with pytest.raises(ValueError, match="unregistered"):
        create_unit_service()
    assert not Unit.all_objects.filter(name="无审计单位").exists()
    assert not AuditEvent.objects.exists()


def test_action_labels_come_from_the_registered_vocabulary() -> None:
    assert audit.action_label(CoreAction.AUDIT_EXPORTED) == str(CoreAction.AUDIT_EXPORTED.label)
    assert audit.action_label("unknown.code") == "unknown.code"
    assert (
        AccountsAction.LOGIN_FAILED.value,
        str(AccountsAction.LOGIN_FAILED.label),
    ) in audit.action_choices()
