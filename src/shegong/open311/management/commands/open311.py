"""`shegong open311 key create|list|revoke` (also `shegong manage open311 key …`): Open311 keys for platform
enterprises. The operator of the 社会工作部 runs it and hands the printed key to the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext

from shegong.open311 import keys


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _messages(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Open311 keys for platform enterprises: `key create --platform NAME --division PREFIX` prints a new "
        "key alone on its last line (only its hash is stored); `key list` shows the keys without them; "
        "`key revoke PREFIX_OR_ID` stops one at once. 平台企业的 Open311 密钥：创建、列出、吊销。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        groups = parser.add_subparsers(dest="group", metavar="key", required=True)
        key = groups.add_parser("key", help="create, list or revoke keys")
        actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)

        create = actions.add_parser("create", help="a new key for a platform at a division")
        create.add_argument(
            "--platform", required=True, metavar="NAME", help="the platform's name, e.g. 美团"
        )
        create.add_argument(
            "--division",
            required=True,
            metavar="PREFIX",
            help="the division code prefix it may file in, e.g. 210105 (or a 12-digit code)",
        )

        listing = actions.add_parser("list", help="the keys (never the keys themselves)")
        listing.add_argument("--platform", metavar="NAME", help="only this platform's keys")
        listing.add_argument(
            "--division", metavar="PREFIX", help="only keys of accounts inside this division"
        )
        listing.add_argument("--active", action="store_true", help="leave revoked keys out")

        revoke = actions.add_parser("revoke", help="stop a key working")
        revoke.add_argument("key", metavar="PREFIX_OR_ID", help="the key's id or prefix from `key list`")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                self._create(options["platform"], options["division"])
            elif action == "list":
                self._list(options["platform"], options["division"], options["active"])
            else:
                self._revoke(options["key"])
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc

    def _create(self, platform: str, division: str) -> None:
        token, raw = keys.key_create(platform=platform, division=division, actor=None)
        place = token.user.division
        self.stdout.write(
            gettext(
                "Open311 key {prefix}… (id {id}) for {platform} in {division} ({code}), account {account}."
            ).format(
                prefix=token.prefix,
                id=token.pk,
                platform=token.user.real_name,
                division=place.name if place else "",
                code=place.prefix if place else "",
                account=token.user.username,
            )
        )
        self.stdout.write(
            gettext("Give the platform this key now: it is shown only once and cannot be read again.")
        )
        # Alone on the last line, so a script can take it with `tail -n 1`.
        self.stdout.write(raw)

    def _list(self, platform: str | None, division: str | None, active_only: bool) -> None:
        rows = keys.key_list(platform=platform, division=division, include_revoked=not active_only)
        if not rows:
            self.stdout.write(gettext("No Open311 keys."))
            return
        header = [
            gettext("ID"),
            gettext("Platform"),
            gettext("Division"),
            gettext("Key prefix"),
            gettext("Created"),
            gettext("Last used"),
            gettext("Revoked"),
        ]
        table = [header] + [
            [
                str(row.id),
                row.platform,
                f"{row.division_prefix} {row.division_name}",
                f"{row.prefix}…",
                _when(row.created_at),
                _when(row.last_used_at),
                _when(row.revoked_at),
            ]
            for row in rows
        ]
        widths = [max(_width(line[i]) for line in table) for i in range(len(header))]
        for line in table:
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line)]
            self.stdout.write("  ".join(cells).rstrip())

    def _revoke(self, value: str) -> None:
        token = keys.key_revoke(prefix_or_id=value, actor=None)
        self.stdout.write(
            gettext("Open311 key {prefix}… (id {id}) of {platform} is revoked since {when}.").format(
                prefix=token.prefix, id=token.pk, platform=token.user.real_name, when=_when(token.revoked_at)
            )
        )


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
