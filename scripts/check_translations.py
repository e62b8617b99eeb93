"""Fail when the zh_Hans catalogue has untranslated, fuzzy or stale entries, or when the .mo is out of date.

Run after `shegong manage makemessages -l zh_Hans` (which needs GNU gettext) and before committing; CI runs it
without gettext, using polib.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "shegong" / "locale" / "zh_Hans" / "LC_MESSAGES"


def main() -> int:
    failures = 0
    po_files = sorted(LOCALE.glob("*.po"))
    if not po_files:
        print(f"no catalogue found in {LOCALE}")
        return 1
    for po_path in po_files:
        po = polib.pofile(str(po_path))
        untranslated = po.untranslated_entries()
        fuzzy = po.fuzzy_entries()
        for entry in untranslated[:20]:
            print(f"{po_path.name}: untranslated: {entry.msgid!r}")
        for entry in fuzzy[:20]:
            print(f"{po_path.name}: fuzzy: {entry.msgid!r}")
        failures += len(untranslated) + len(fuzzy)
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            print(f"{mo_path.name} is missing: compile the catalogue")
            failures += 1
            continue
        compiled = {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in polib.mofile(str(mo_path))
        }
        source = {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in po.translated_entries()
        }
        stale = {k for k in source if compiled.get(k) != source[k]}
        for key in sorted(stale, key=str)[:20]:
            print(f"{mo_path.name} is out of date for {key[1]!r}")
        failures += len(stale)
        done = len(po.translated_entries())
        print(f"{po_path.name}: {done} translated, {len(untranslated)} untranslated, {len(fuzzy)} fuzzy")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
