"""`shegong demo`: the embedded demo on this computer, from an empty folder to a running server."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import MutableMapping

from django.utils.translation import gettext_lazy

from shegong.ops.bootstrap import setup_django
from shegong.ops.demo_data import DEMO_PASSWORD, DemoAccount, demo_accounts

PAGES = [
    (gettext_lazy("Home"), "/"),
    (gettext_lazy("Mobile pages (H5)"), "/h5/"),
    (gettext_lazy("Staff desk"), "/desk/"),
    (gettext_lazy("Dashboard"), "/dashboard/"),
    (gettext_lazy("Admin"), "/admin/"),
    (gettext_lazy("API docs"), "/api/docs"),
]


def _width(text: str) -> int:
    """Display width in a terminal: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def accounts_table(accounts: list[DemoAccount]) -> str:
    """The printed table of demo accounts: role (in the site language), name, username, password."""
    from django.utils.translation import gettext as _

    from shegong.accounts.choices import Role

    rows = [[_("Role"), _("Name"), _("Username"), _("Password")]]
    rows += [[str(Role(a.role).label), a.real_name, a.username, DEMO_PASSWORD] for a in accounts]
    return format_table(rows)


def pages_table(port: int) -> str:
    from django.utils.translation import gettext as _

    base = f"http://127.0.0.1:{port}"
    return format_table([[_("Page"), _("Address")], *([str(label), base + path] for label, path in PAGES)])


def demo_login_environment(environ: MutableMapping[str, str]) -> None:
    """The demo's accounts log in with the printed password alone: the staff second factor (on by default
    in production, docs/privacy.md) is switched off explicitly, whatever the shell had set."""
    environ["SHEGONG_TOTP_REQUIRED_FOR_STAFF"] = "0"


def run(*, port: int, serve: bool, reset: bool) -> int:
    """Prepare the demo database in the data folder and, unless `serve` is False, run the server."""
    ignored_database_url = bool(os.environ.pop("DATABASE_URL", None))
    ignored_production = bool(os.environ.pop("SHEGONG_PRODUCTION", None))
    os.environ.setdefault("SHEGONG_DEBUG", "1")
    demo_login_environment(os.environ)
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    if ignored_database_url:
        print(_("DATABASE_URL is set; the demo ignores it and uses the embedded SQLite database."))
    if ignored_production:
        print(_("SHEGONG_PRODUCTION is set; the demo ignores it (plain HTTP on this computer)."))
    db_path = settings.SQLITE_PATH
    print(_("Data folder: {path}").format(path=settings.DATA_DIR))
    print(_("Database:    {path}").format(path=db_path))
    if reset:
        for path in (
            db_path,
            db_path.with_name(db_path.name + "-wal"),
            db_path.with_name(db_path.name + "-shm"),
        ):
            if path.exists():
                print(_("Deleting {path}").format(path=path))
                path.unlink()
    call_command("migrate", interactive=False, verbosity=0)
    print(_("Database is up to date."))
    call_command("demo_seed", verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    print()
    print(_("Demo accounts (the password is reset to this one on every run):"))
    print(accounts_table(demo_accounts()))
    print()
    print(pages_table(port))
    print(flush=True)
    if not serve:
        print(_("Start the server with: shegong demo --port {port}").format(port=port))
        return 0
    # Development server without the autoreloader: the demo runs installed code, not a checkout.
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
    return 0
