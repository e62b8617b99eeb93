"""Uploaded photos made safe to keep and show: checked, turned upright, stripped of metadata, re-encoded.

`process_image(upload)` accepts a JPEG, PNG or WebP photo — recognised by decoding it with Pillow, never by
its file name or the browser's content type — and returns the bytes to store. On the way it

- refuses files over the size limit (setting `SHEGONG_IMAGE_MAX_BYTES`, default 8 MB) and images with more
  pixels than `MAX_PIXELS` (a small file can decode into gigabytes: a "decompression bomb");
- applies the EXIF orientation, so the stored pixels are upright and no viewer needs the tag;
- drops every piece of metadata (EXIF incl. the GPS position, camera serial and time, XMP, comments, text
  chunks) unless `keep_location=True`, in which case only the GPS block is written back. The ICC colour
  profile is kept: it describes colours, not the person, and phone photos look wrong without it;
- re-encodes the pixels in the same format, so nothing hidden in the original file survives.

Errors are `ImageRejected` (a ValidationError) with a message for the person who chose the file.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_BYTES",
    "MAX_PIXELS",
    "ImageRejected",
    "ProcessedImage",
    "max_bytes",
    "process_image",
]

# Pillow format name → (content type, file extension).
ALLOWED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# 40 megapixels: above every phone camera's default output (12–50 MP sensors bin to ≤ 12.5 MP), and an
# RGBA decode of it stays under 160 MB of memory.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class ImageRejected(ValidationError):
    """The upload is not an image we accept, or is too large; the message says which."""


@dataclass(frozen=True)
class ProcessedImage:
    """A photo ready to store: the re-encoded bytes and what the attachment row records."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    location_kept: bool

    @property
    def size(self) -> int:
        return len(self.content)


def max_bytes() -> int:
    """The largest photo accepted, in bytes."""
    return int(getattr(settings, "SHEGONG_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}"


def _read(upload: Any, limit: int) -> bytes:
    """The upload's bytes, refusing more than `limit` without reading it all into memory first."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ImageRejected(_too_large(limit), code="too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    stream: IO[bytes] = upload
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected(_too_large(limit), code="too_large")
    if not data:
        raise ImageRejected(_("The file is empty."), code="empty")
    return data


def _too_large(limit: int) -> str:
    return _("The photo is larger than {mb} MB. Please choose a smaller photo.").format(mb=_megabytes(limit))


def _not_an_image() -> ImageRejected:
    return ImageRejected(
        _("The file is not a photo we can accept. Please choose a JPG, PNG or WebP picture."),
        code="not_image",
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Decode the image fully (a truncated or corrupt file fails here, not later when shown)."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; any bomb warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise _not_an_image()
            width, height = image.size
            if width < 1 or height < 1:
                raise _not_an_image()
            if width * height > max_pixels:
                raise ImageRejected(
                    _(
                        "The picture has too many pixels ({width} × {height}). Please choose a smaller one."
                    ).format(width=width, height=height),
                    code="too_many_pixels",
                )
            image.seek(0)  # an animated PNG/WebP keeps its first frame only
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            _("The picture has too many pixels. Please choose a smaller one."), code="too_many_pixels"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # UnidentifiedImageError is an OSError
        raise _not_an_image() from exc
    return image


def _gps_only_exif(source: Image.Image) -> Image.Exif | None:
    """A new EXIF block holding only the source's GPS position (None when it has none)."""
    gps = source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = dict(gps)
    return exif


def _pixels_for(image: Image.Image, fmt: str) -> Image.Image:
    """The modes each encoder takes; anything else is converted (CMYK JPEG → RGB, 16-bit PNG → RGBA…)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if fmt == "PNG":
        if image.mode in ("RGB", "RGBA", "L", "LA", "P", "1"):
            return image
        return image.convert("RGBA" if has_alpha else "RGB")
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if has_alpha else "RGB")


def process_image(
    upload: Any,
    *,
    keep_location: bool = False,
    limit_bytes: int | None = None,
    max_pixels: int = MAX_PIXELS,
) -> ProcessedImage:
    """Check, orient, strip and re-encode one uploaded photo (a file-like object with `read`).

    Raises ImageRejected when it is not a JPEG/PNG/WebP image, is empty, corrupt, too large or has too
    many pixels. With `keep_location` the photo's GPS position (and nothing else) is kept."""
    limit = max_bytes() if limit_bytes is None else limit_bytes
    data = _read(upload, limit)
    source = _open(data, max_pixels)
    fmt = str(source.format)
    content_type, extension = ALLOWED_FORMATS[fmt]
    gps_exif = _gps_only_exif(source) if keep_location else None
    icc_profile = source.info.get("icc_profile")
    transparency = source.info.get("transparency") if source.mode in ("P", "L", "RGB", "1") else None
    upright = ImageOps.exif_transpose(source) or source
    pixels = _pixels_for(upright, fmt)
    # A clean info dict: Pillow's encoders fall back to im.info for some chunks (JPEG comment, PNG ICC
    # and transparency), so only what we choose to keep may be left there.
    pixels.info = {}
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if gps_exif is not None:
        options["exif"] = gps_exif
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        options.update(optimize=True)
        if transparency is not None and pixels.mode == source.mode:
            options["transparency"] = transparency
    else:
        options.update(quality=WEBP_QUALITY, method=4)
    out = io.BytesIO()
    try:
        pixels.save(out, format=fmt, **options)
    except (OSError, ValueError) as exc:  # e.g. an ICC profile the encoder refuses
        raise _not_an_image() from exc
    content = out.getvalue()
    return ProcessedImage(
        content=content,
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
        sha256=hashlib.sha256(content).hexdigest(),
        location_kept=gps_exif is not None,
    )
