"""Time-based one-time passwords (RFC 6238) with pyotp: secrets, step-aware verification, the enrolment QR.

A code is accepted for the current 30-second step and one step either side (clock drift), and only for a
step later than the last one the user spent, so an intercepted code cannot be replayed.
"""

from __future__ import annotations

import base64
import hmac
import io
import unicodedata
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from django.utils import timezone

ISSUER = "社工服务平台"
INTERVAL = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def current_step(now: datetime | None = None) -> int:
    return int((now or timezone.now()).timestamp()) // INTERVAL


def matching_step(secret: str, code: str, *, after_step: int, now: datetime | None = None) -> int | None:
    """The time step `code` belongs to, if it is valid now and later than `after_step`; else None."""
    # NFKC turns full-width digits (a Chinese input method's default) into ASCII ones; anything else that
    # is not six ASCII digits is refused here, before hmac.compare_digest (which rejects non-ASCII text).
    code = unicodedata.normalize("NFKC", code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6) or not secret:
        return None
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    base = current_step(now)
    for step in range(base - DRIFT_STEPS, base + DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_url(uri: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URL (CSP allows img data:; no third party sees it)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
