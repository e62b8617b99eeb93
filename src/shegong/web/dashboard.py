"""Blocks on the dashboard home: a module adds its own card once (AppConfig.ready) without touching the
template.

    from shegong.web.dashboard import DashboardBlock, register

    register(DashboardBlock("hotspots", "hotspots/_dashboard_block.html", hotspot_block, order=10))

`context(user)` returns the block's template context (available as `block` in the template), or None to
leave the block out for that user (no permission, nothing to show). It must read only what the user's
scope covers (use the module's selectors). The template renders one Bootstrap column of the home's grid
(e.g. `<div class="col-12 col-xl-6">…</div>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DashboardBlock:
    key: str
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_BLOCKS: dict[str, DashboardBlock] = {}


def register(*blocks: DashboardBlock) -> None:
    """Add blocks; the same key again is ignored (ready() may run more than once)."""
    for block in blocks:
        _BLOCKS.setdefault(block.key, block)


def blocks_for(user: Any) -> list[dict[str, Any]]:
    """The blocks `user` gets, in order, each with its template and context."""
    out = []
    for block in sorted(_BLOCKS.values(), key=lambda b: (b.order, b.key)):
        context = block.context(user)
        if context is not None:
            out.append({"key": block.key, "template": block.template, "context": context})
    return out
