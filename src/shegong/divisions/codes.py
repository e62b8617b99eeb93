"""Pure functions on 12-digit division codes and on 统一社会信用代码."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum as StdnumInvalidChecksum
from stdnum.exceptions import InvalidLength as StdnumInvalidLength
from stdnum.exceptions import ValidationError as StdnumError

PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def validate_code(code: str) -> None:
    if len(code) != 12 or not code.isascii() or not code.isdigit():
        raise ValidationError(_("A division code has exactly 12 digits."))
    if code[:2] == "00":
        raise ValidationError(_("A division code cannot start with 00."))


def level_of(code: str) -> int:
    """The level of a 12-digit code: the length of its significant prefix (2, 4, 6, 9 or 12)."""
    if code[2:] == "0" * 10:
        return 2
    if code[4:] == "0" * 8:
        return 4
    if code[6:] == "0" * 6:
        return 6
    if code[9:] == "000":
        return 9
    return 12


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == 2:
        return None
    parent_len = PREFIX_LENGTHS[PREFIX_LENGTHS.index(level) - 1]
    return code[:parent_len].ljust(12, "0")


def normalise_prefix(value: str) -> str:
    """Accept a prefix or a full code and return the significant prefix ('' for the whole country)."""
    value = value.strip()
    if not value:
        return ""
    if len(value) == 12:
        validate_code(value)
        return value[: level_of(value)]
    # isascii(): str.isdigit() also accepts full-width and other Unicode digits, which no code contains.
    if len(value) not in PREFIX_LENGTHS or not (value.isascii() and value.isdigit()):
        raise ValidationError(_("A division prefix has 2, 4, 6, 9 or 12 digits."))
    return value


def validate_uscc(value: str) -> str:
    """The code in its compact form (spaces and dashes dropped, upper case), or a ValidationError that says
    what is wrong with it."""
    try:
        return str(stdnum_uscc.validate(value))
    except StdnumInvalidLength as exc:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has {n}.").format(
                n=len(stdnum_uscc.compact(value))
            ),
            code="uscc_length",
        ) from exc
    except StdnumInvalidChecksum as exc:
        raise ValidationError(
            _(
                "The last character (the check character) of this unified social credit code is wrong; "
                "look for a typo."
            ),
            code="uscc_checksum",
        ) from exc
    except StdnumError as exc:
        raise ValidationError(
            _(
                "A unified social credit code has digits in its first 8 places, then digits or "
                "capital letters other than I, O, S, V and Z."
            ),
            code="uscc_format",
        ) from exc
