"""Framework layer shared by every module: scoping, audit, personal data, calendar, idempotency.

No domain models live here; the models in `core.models` are infrastructure (audit log, idempotency keys,
the working-day calendar, rate counters, periodic-job runs).
"""
