"""Helpers for the learning, retraining and routing tests: the appeals tests' actors for one world."""

from __future__ import annotations

from shegong.accounts.choices import Role
from tests.appeals.conftest import Actors
from tests.support.world import World


def make_actors(world: World) -> Actors:
    """The same actors as the `actors` fixture of tests/appeals (intake, a home unit's handler, a leader)."""
    return Actors(
        world=world,
        intake=world.user(Role.INTAKE),
        handler=world.user(Role.HANDLER, world.home, unit=world.home_unit),
        leader=world.user(Role.LEADER),
    )
