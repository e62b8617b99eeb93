"""Tracking numbers: unguessable, and easy to read over the phone.

Nine characters from a 32-symbol alphabet without 0/O/1/I (45 bits from `secrets`), grouped in threes:
"K7M-4PX-92Q". Uniqueness is the database's unique constraint; a collision is astronomically rare and
the create service retries.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS = 3
GROUP_LEN = 3


def new_tracking_no() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(chars[i : i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def normalise_tracking_no(value: str) -> str:
    """What a worker or operator typed → the stored form: upper case, O→0 is not needed (no 0/O), but
    dashes and spaces are optional when typed."""
    raw = "".join(ch for ch in value.upper() if ch.isalnum())
    return "-".join(raw[i : i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))
