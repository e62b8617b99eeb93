"""What the smart module does when an appeal moves (`appeals.services.common.appeal_transitioned`).

Receivers only hand over to the services: filing → classify after commit (`suggestions.after_filing`);
a person's accept or dispatch → a dispatcher correction (`corrections.correction_record_quietly`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from shegong.appeals.models import Appeal
from shegong.appeals.services import common as c
from shegong.smart import corrections, suggestions


def on_appeal_transitioned(sender: Any, *, appeal: Appeal, action: str, actor: Any, **kwargs: Any) -> None:
    if action == c.SUBMIT:
        # After commit: the filing never waits for, nor fails with, the model (robust: errors are logged).
        transaction.on_commit(partial(suggestions.after_filing, appeal.pk), robust=True)
    elif action in corrections.RECORDED_ACTIONS and actor is not None:
        corrections.correction_record_quietly(appeal=appeal, action=action, actor=actor)


def connect() -> None:
    c.appeal_transitioned.connect(on_appeal_transitioned, sender=Appeal, dispatch_uid="smart.transitions")
