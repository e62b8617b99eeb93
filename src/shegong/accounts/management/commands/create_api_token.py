"""`shegong manage create_api_token USERNAME --name NAME [--days N]`: the raw token is printed once, last."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shegong.accounts import services
from shegong.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create an API bearer token for an account. The token is printed once, alone on the last line; "
        "only its hash is stored, so copy it now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the account the token acts as")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. the calling system")
        parser.add_argument(
            "--days", type=int, default=None, help="expire after this many days (default: never)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username__iexact=options["username"].strip()).first()
        if user is None or not user.is_active:
            raise CommandError(f"no active account named {options['username']!r}")
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        expires = timezone.now() + timedelta(days=days) if days else None
        token, raw = services.api_token_create(
            user=user, name=options["name"], actor=None, expires_at=expires
        )
        until = f", expires {expires:%Y-%m-%d %H:%M}" if expires else ", does not expire"
        self.stdout.write(f"Token {token.prefix}… for {user.username} ({token.name}{until}):")
        self.stdout.write(raw)
