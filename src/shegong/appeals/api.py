"""JSON API: /api/v1/appeals (see docs/appeals.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["appeals"])
