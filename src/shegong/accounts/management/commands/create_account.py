"""Create an account with one role grant from the command line: how an operator makes the first
administrators of a new installation (三员: platform admin, security admin, auditor are separate people)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from shegong.accounts import services
from shegong.accounts.choices import Role
from shegong.divisions.models import Division


class Command(BaseCommand):
    help = (
        "Create an account holding ROLE over a division (or nationwide). The password is asked for, or read "
        "from standard input with --password-stdin; the user must change it at first login. "
        "创建账号并授予角色（首次登录须修改密码）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--division", metavar="CODE", help="12-digit division code of the grant")
        where.add_argument("--nationwide", action="store_true", help="grant over the whole country")
        parser.add_argument("--real-name", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        division = None
        if options["division"]:
            division = Division.objects.filter(code=options["division"]).first()
            if division is None:
                raise CommandError(f"no division with code {options['division']}; import the code list first")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the passwords differ")
        try:
            with transaction.atomic():
                user = services.user_create(
                    actor=None,
                    username=options["username"],
                    password=password,
                    real_name=options["real_name"],
                    division=division,
                    must_change_password=True,
                )
                services.grant_add(user=user, role=options["role"], division=division, actor=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        where = division.name if division else "nationwide"
        self.stdout.write(f"created {user.username}: {Role(options['role']).label} over {where}")
