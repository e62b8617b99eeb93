"""Uploaded photos: only real JPEG/PNG/WebP images, size and pixel limits, upright, no metadata left."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from shegong.core.images import ImageRejected, process_image

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (41.0, 50.0, 1.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (123.0, 25.0, 2.0),
}


def photo(
    fmt: str = "JPEG",
    size: tuple[int, int] = (40, 20),
    *,
    orientation: int | None = None,
    gps: bool = False,
    mode: str = "RGB",
    name: str = "photo.jpg",
    **save: Any,
) -> SimpleUploadedFile:
    """A small picture as a phone would upload it: EXIF with camera data, optionally GPS and rotation."""
    image = Image.new(mode, size, "red" if mode == "RGB" else None)
    # left half red, right half blue: tells whether the stored picture was turned
    if mode == "RGB":
        image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.BodySerialNumber] = "SN-0042"
    exif[ExifTags.Base.DateTime] = "2026:05:01 12:00:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif, **save)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def reopen(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_each_accepted_format_is_re_encoded_in_that_format(
    fmt: str, content_type: str, extension: str
) -> None:
    result = process_image(photo(fmt))
    assert (result.content_type, result.extension) == (content_type, extension)
    assert (result.width, result.height) == (40, 20)
    assert reopen(result.content).format == fmt
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert result.size == len(result.content)


def test_the_format_comes_from_the_content_not_the_name() -> None:
    # A PNG named .jpg is a PNG; a text file named .jpg is refused.
    assert process_image(photo("PNG", name="holiday.jpg")).content_type == "image/png"
    text = SimpleUploadedFile("photo.jpg", b"this is not a picture at all", content_type="image/jpeg")
    with pytest.raises(ImageRejected) as info:
        process_image(text)
    assert info.value.code == "not_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(fmt: str) -> None:
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, format=fmt)
    with pytest.raises(ImageRejected) as info:
        process_image(SimpleUploadedFile("x.jpg", image.getvalue()))
    assert info.value.code == "not_image"


def test_svg_and_html_are_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ImageRejected):
        process_image(SimpleUploadedFile("x.png", svg, content_type="image/png"))


def test_truncated_image_is_refused() -> None:
    whole = photo("JPEG", (200, 200)).read()
    with pytest.raises(ImageRejected) as info:
        process_image(SimpleUploadedFile("x.jpg", whole[: len(whole) // 2]))
    assert info.value.code == "not_image"


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageRejected) as info:
        process_image(SimpleUploadedFile("x.jpg", b""))
    assert info.value.code == "empty"


def test_file_over_the_size_limit_is_refused_with_the_limit_in_the_message(settings: Any) -> None:
    settings.SHEGONG_IMAGE_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (1024 * 1024))
    with pytest.raises(ImageRejected) as info:
        process_image(big)
    assert info.value.code == "too_large"
    assert "1" in info.value.messages[0]


def test_size_limit_holds_for_a_stream_without_a_size() -> None:
    stream = io.BytesIO(photo("PNG", (300, 300)).read())
    with pytest.raises(ImageRejected) as info:
        process_image(stream, limit_bytes=100)
    assert info.value.code == "too_large"


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG claiming a huge size: its decoded pixels would not fit in memory (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (30000, 30000)])
def test_decompression_bombs_are_refused_before_decoding(width: int, height: int) -> None:
    bomb = SimpleUploadedFile("bomb.png", _png_header_only(width, height))
    assert bomb.size < 200
    with pytest.raises(ImageRejected) as info:
        process_image(bomb)
    assert info.value.code == "too_many_pixels"


def test_pixel_limit_is_a_parameter() -> None:
    with pytest.raises(ImageRejected):
        process_image(photo("JPEG", (100, 100)), max_pixels=9_999)
    assert process_image(photo("JPEG", (100, 100)), max_pixels=10_000).width == 100


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_all_metadata_including_gps_is_stripped(fmt: str) -> None:
    original = photo(fmt, gps=True)
    assert reopen(original.read()).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has it
    original.seek(0)
    result = process_image(original)
    stored = reopen(result.content)
    assert dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in result.content
    assert b"SN-0042" not in result.content
    assert result.location_kept is False


def test_jpeg_comment_and_xmp_are_stripped() -> None:
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">owner 13800138000</x:xmpmeta>'
    Image.new("RGB", (10, 10)).save(out, format="JPEG", comment=b"Zhang San 13800138000", xmp=xmp)
    result = process_image(SimpleUploadedFile("x.jpg", out.getvalue()))
    assert b"13800138000" not in result.content
    assert "comment" not in reopen(result.content).info


def test_png_text_chunks_are_stripped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Li Si 13900139000")
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG", pnginfo=info)
    result = process_image(SimpleUploadedFile("x.png", out.getvalue()))
    assert b"13900139000" not in result.content


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_keep_location_keeps_only_the_gps_block(fmt: str) -> None:
    result = process_image(photo(fmt, gps=True), keep_location=True)
    exif = reopen(result.content).getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLongitude]) == (123.0, 25.0, 2.0)
    assert ExifTags.Base.Make not in exif
    assert b"SN-0042" not in result.content
    assert result.location_kept is True


def test_keep_location_on_a_photo_without_gps_keeps_nothing() -> None:
    result = process_image(photo("JPEG"), keep_location=True)
    assert dict(reopen(result.content).getexif()) == {}
    assert result.location_kept is False


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise. Stored: upright, no tag.
    result = process_image(photo("JPEG", (40, 20), orientation=6))
    stored = reopen(result.content).convert("RGB")
    assert (result.width, result.height) == (20, 40)
    assert stored.size == (20, 40)
    top, bottom = stored.getpixel((10, 5)), stored.getpixel((10, 35))
    # red (the old left half) is on top after turning clockwise, blue below
    assert top[0] > 200
    assert top[2] < 80
    assert bottom[2] > 200
    assert bottom[0] < 80
    assert ExifTags.Base.Orientation not in reopen(result.content).getexif()


def test_cmyk_jpeg_and_transparent_png_are_kept_displayable() -> None:
    out = io.BytesIO()
    Image.new("CMYK", (10, 10)).save(out, format="JPEG")
    assert reopen(process_image(SimpleUploadedFile("c.jpg", out.getvalue())).content).mode == "RGB"
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(out, format="PNG")
    assert reopen(process_image(SimpleUploadedFile("t.png", out.getvalue())).content).mode == "RGBA"


def test_the_icc_colour_profile_is_kept() -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG", icc_profile=profile)
    result = process_image(SimpleUploadedFile("p.jpg", out.getvalue()))
    assert reopen(result.content).info.get("icc_profile") == profile
