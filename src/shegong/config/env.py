"""Small readers for environment variables, and the per-user data folder of the embedded setup."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import platformdirs
from cryptography.fernet import Fernet

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def get_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def get_float(name: str, *, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc


def get_json_object(name: str) -> dict[str, Any]:
    """A JSON object from the environment (empty when unset), for structured settings."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


def get_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """The folder that holds the embedded database, media and generated development secrets."""
    path = Path(os.environ.get("SHEGONG_DATA_DIR") or platformdirs.user_data_dir("shegong", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_secrets(folder: Path) -> dict[str, str]:
    """Development secrets, generated once per data folder so that every command reads the same data.

    `shegong serve` never uses these: it requires SECRET_KEY and SHEGONG_FIELD_KEY in the environment.
    """
    path = folder / "dev-secrets.json"
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data
    data = {"secret_key": secrets.token_urlsafe(50), "field_key": Fernet.generate_key().decode()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.chmod(0o600)
    try:
        # Two processes starting at once: the first rename wins and both read the same file.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def cache_config(url: str | None) -> dict[str, Any]:
    """redis://… selects Redis; otherwise a per-process memory cache (only used for hot read caches)."""
    if url and url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shegong"}
