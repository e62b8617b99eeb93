"""Appeal text as the classifier sees it: one normal form for what workers type on a phone, what hotline
operators type, and what other systems send in (traditional characters, full-width letters, emoji)."""

from __future__ import annotations

import re
import unicodedata

import zhconv

# Appeals are a few sentences; past this the rest adds nothing to the category and only costs time.
MAX_CHARS = 2000

_SPACE = re.compile(r"\s+")


def _is_mark(char: str) -> bool:
    # punctuation (P*), symbols and emoji (S*), controls (C*): they say how a worker writes, not what
    # about; kept, "！！！" taught the model that exclamation marks mean WAGE
    return unicodedata.category(char)[0] in "PSC"


def normalize(text: object) -> str:
    """Simplified Chinese, NFKC (full-width ＡＢＣ１２３ → ABC123), lower case, punctuation, symbols and
    emoji as spaces, single spaces, at most MAX_CHARS characters. Anything that is not a string (None, a
    number from a bad JSON line) is text too."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    value = unicodedata.normalize("NFKC", value[: MAX_CHARS * 2]).lower()
    # zhconv maps traditional to simplified (經濟→经济, 騎手→骑手); simplified text passes unchanged.
    value = zhconv.convert(value, "zh-cn")
    value = "".join(" " if _is_mark(char) else char for char in value)
    return _SPACE.sub(" ", value).strip()[:MAX_CHARS]
