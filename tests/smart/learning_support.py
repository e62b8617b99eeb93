"""Helpers for the learning, retraining and routing tests: the appeals tests' actors for one world."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def break_the_model() -> Iterator[None]:
    """The live model in memory is damaged (as if a bad file had been unpickled): every prediction raises.
    The real classifier runs around it; on the way out the live model is loaded again."""
    from shegong.smart import classifier, training

    classifier.reload()
    classifier._model = training.Model(  # the one way to damage the loaded model
        version="broken", features=None, category=None, urgency=None, urgent_threshold=0.5
    )
    try:
        yield
    finally:
        classifier.reload()
