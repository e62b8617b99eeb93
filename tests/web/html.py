"""Parsing helpers for page tests: the CSP rules checked on rendered HTML."""

from __future__ import annotations

from html.parser import HTMLParser


class CspAudit(HTMLParser):
    """Collects what a strict CSP (script-src/style-src 'self') would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.problems.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in attributes):
            self.problems.append(f"inline event handler on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.problems.append("inline <script>")
        for name in ("href", "src", "action"):
            if (attributes.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")


def csp_problems(html: str) -> list[str]:
    audit = CspAudit()
    audit.feed(html)
    audit.close()
    return audit.problems
