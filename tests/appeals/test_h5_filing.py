"""The worker's filing page (/h5/appeals/new/): one form, phone proof by SMS code, photos checked first,
one appeal per form however often it is sent, nothing written on bad input."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.h5 import filing
from shegong.appeals.models import TEXT_MAX, Appeal, Attachment, Category
from shegong.core import notify, pii
from shegong.core.models import AuditEvent, IdempotencyKey, PhoneVerification
from tests.support.world import World

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
SUBMIT = "/h5/appeals/new/"
VERIFY = "/h5/appeals/verify/"

# --- helpers shared by the H5 test modules -----------------------------------------------------------


@pytest.fixture(autouse=True)
def h5_env(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Console SMS (read back like a phone would), photos in a temporary folder, English messages."""
    settings.SHEGONG_SMS_BACKEND = "shegong.core.notify.ConsoleSMSBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    notify.ConsoleSMSBackend.outbox.clear()
    yield
    notify.ConsoleSMSBackend.outbox.clear()


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def last_code(phone: str = PHONE) -> str:
    sms = [m for m in notify.ConsoleSMSBackend.outbox if m.phone == phone][-1]
    found = re.search(r"\b(\d{6})\b", sms.text)
    assert found is not None, sms.text
    return found.group(1)


def ask_code(client: Client, capture: Callable[..., Any], phone: str = PHONE, **extra: Any) -> str:
    """Press "get a code" as htmx does and read the SMS."""
    with capture(execute=True):
        response = client.post(VERIFY, {"phone": phone, "action": "send"}, HTTP_HX_REQUEST="true", **extra)
    assert response.status_code == 200
    return last_code(phone)


def verify_phone(client: Client, capture: Callable[..., Any], phone: str = PHONE) -> None:
    code = ask_code(client, capture, phone)
    response = client.post(VERIFY, {"phone": phone, "code": code, "action": "check"})
    assert response.status_code == 302, response.content[:300]


def jpeg(name: str = "photo.jpg", *, gps: bool = False) -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (41.0, 50.0, 1.0),
        }
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": "站点扣了我两千元押金不退，说是规定。",
        "appeal_type": AppealType.COMPLAINT,
        "district": world.home.code,
        "street": world.home_street.code,
        "community": world.home_community.code,
        "address": "华山路12号",
        "worker_type": WorkerType.COURIER,
        "platform": "顺丰",
        "idem": "key-" + overrides.pop("key", "1"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def idem_key(html: str) -> str:
    found = re.search(r'name="idem" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_filed() -> bool:
    return not Appeal.all_objects.exists() and not Attachment.objects.exists() and not stored_files()


# --- the form ------------------------------------------------------------------------------------------


def test_form_shows_a_fresh_idempotency_key_and_the_districts(client: Client, world: World) -> None:
    first = client.get(SUBMIT)
    second = client.get(SUBMIT)
    assert first.status_code == 200
    html = first.content.decode()
    assert idem_key(html) != idem_key(second.content.decode())
    assert f'value="{world.home.code}"' in html
    assert f'value="{world.away.code}"' in html
    assert 'data-testid="otp-block"' in html
    assert 'name="phone"' in html


def test_a_verified_session_is_not_asked_for_a_code(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    verify_phone(client, django_capture_on_commit_callbacks)
    html = client.get(SUBMIT).content.decode()
    assert 'data-testid="verified-phone"' in html
    assert "139****5678" in html
    assert 'name="code"' not in html
    response = client.post(SUBMIT, form_data(world))
    assert response.status_code == 302
    appeal = Appeal.all_objects.get()
    assert appeal.phone == PHONE


def test_filing_with_code_and_photos_creates_one_complete_appeal(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = ask_code(client, django_capture_on_commit_callbacks)
    category = Category.objects.get(code="WAGE")
    data = form_data(
        world,
        phone=PHONE,
        code=code,
        category=category.pk,
        lat="41.833611",
        lng="123.416667",
        anonymous="on",
        photos=[jpeg("a.jpg", gps=True), jpeg("b.jpg")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUBMIT, data)
    appeal = Appeal.all_objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:h5_done", kwargs={"tracking_no": appeal.tracking_no})
    assert appeal.state == State.SUBMITTED
    assert appeal.channel == Channel.H5
    assert appeal.division_id == world.home_community.code
    assert appeal.category == category
    assert appeal.worker_type == WorkerType.COURIER
    assert appeal.platform == "顺丰"
    assert appeal.anonymous is True
    assert str(appeal.lat) == "41.833611"
    assert appeal.phone == PHONE
    assert appeal.filed_by is None
    photos = list(appeal.attachments.all())
    assert len(photos) == 2
    assert all(dict(Image.open(p.file.path).getexif()) == {} for p in photos)  # GPS and camera data gone
    # the tracking number went out by SMS, and the session now holds the phone proof
    assert any(appeal.tracking_no in m.text for m in notify.ConsoleSMSBackend.outbox)
    mine = client.get("/h5/appeals/mine/")
    assert appeal.tracking_no in mine.content.decode()


def test_keep_location_keeps_the_photo_position(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    verify_phone(client, django_capture_on_commit_callbacks)
    client.post(SUBMIT, form_data(world, photos=[jpeg(gps=True)], keep_location="on"))
    photo = Attachment.objects.get()
    assert photo.location_kept is True
    assert Image.open(photo.file.path).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_done_page_shows_the_tracking_number_grouped(verified: Client, world: World) -> None:
    verified.post(SUBMIT, form_data(world))
    appeal = Appeal.all_objects.get()
    client = Client()  # the page needs nothing but the number
    response = client.get(reverse("appeals:h5_done", kwargs={"tracking_no": appeal.tracking_no}))
    html = response.content.decode()
    assert response.status_code == 200
    for group in appeal.tracking_no.split("-"):
        assert f'<span class="d-inline-block mx-1">{group}</span>' in html
    assert "13912345678" not in html
    assert client.get("/h5/appeals/done/ZZZ-ZZZ-ZZZ/").status_code == 404


# --- one appeal per form -------------------------------------------------------------------------------


def test_double_tap_creates_one_appeal(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    verify_phone(client, django_capture_on_commit_callbacks)
    first = client.post(SUBMIT, form_data(world, key="tap", photos=[jpeg()]))
    second = client.post(SUBMIT, form_data(world, key="tap", photos=[jpeg()]))
    assert Appeal.all_objects.count() == 1
    assert Attachment.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_retry_after_a_lost_answer_returns_the_same_number(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """The first request got through but its answer (and new session cookie) never arrived: the browser
    sends the same form again with the old session and the code that is now used up."""
    browser = Client()
    code = ask_code(browser, django_capture_on_commit_callbacks)
    first = browser.post(SUBMIT, form_data(world, key="flaky", phone=PHONE, code=code))
    retry = Client()  # no session cookie: the answer carrying it was lost
    second = retry.post(SUBMIT, form_data(world, key="flaky", phone=PHONE, code=code))
    assert Appeal.all_objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]


def test_same_key_with_other_content_is_refused_with_a_new_key(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    verify_phone(client, django_capture_on_commit_callbacks)
    client.post(SUBMIT, form_data(world, key="k"))
    response = english(client).post(SUBMIT, form_data(world, key="k", text="另一件事：电动车充电被收高价。"))
    html = response.content.decode()
    assert response.status_code == 200
    assert Appeal.all_objects.count() == 1
    assert "already sent with different content" in html
    assert idem_key(html) != "key-k"
    assert client.post(SUBMIT, form_data(world, key="other", text="另一件事。")).status_code == 302
    assert Appeal.all_objects.count() == 2


# --- bad input: a clear message, nothing written --------------------------------------------------------


def _refused(client: Client, data: dict[str, Any], field: str) -> str:
    audits, keys = AuditEvent.objects.count(), IdempotencyKey.objects.count()
    response = english(client).post(SUBMIT, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="field-error-{field}"' in html, html[:3000]
    assert nothing_filed()
    assert AuditEvent.objects.count() == audits
    assert IdempotencyKey.objects.count() == keys
    return html


@pytest.fixture
def verified(client: Client, django_capture_on_commit_callbacks: Callable[..., Any]) -> Client:
    verify_phone(client, django_capture_on_commit_callbacks)
    return client


def test_wrong_code_is_refused_and_counted(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = ask_code(client, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    html = _refused(client, form_data(world, phone=PHONE, code=wrong), "code")
    assert "The code is wrong" in html
    assert PhoneVerification.objects.get().attempts == 1
    assert 'data-testid="verified-phone"' not in client.get(SUBMIT).content.decode()


def test_missing_phone_and_code_are_refused(client: Client, world: World) -> None:
    _refused(client, form_data(world), "phone")
    _refused(client, form_data(world, phone="12345"), "phone")
    _refused(client, form_data(world, phone=PHONE), "code")


def test_empty_text_is_refused(verified: Client, world: World) -> None:
    _refused(verified, form_data(world, text="   "), "text")


def test_text_over_4000_characters_is_refused(verified: Client, world: World) -> None:
    html = _refused(verified, form_data(world, text="欠" * (TEXT_MAX + 1)), "text")
    assert "4001" in html
    assert verified.post(SUBMIT, form_data(world, text="欠" * TEXT_MAX)).status_code == 302


def test_unknown_division_is_refused(verified: Client, world: World) -> None:
    html = _refused(verified, form_data(world, community="210105001999"), "district")
    assert "not in our list" in html
    # a street that is not under the chosen district
    _refused(verified, form_data(world, street=world.away_street.code, community=None), "district")
    _refused(verified, form_data(world, district="999999000000", street=None, community=None), "district")
    _refused(verified, form_data(world, district=None, street=None, community=None), "district")


def test_a_district_alone_is_enough(verified: Client, world: World) -> None:
    assert verified.post(SUBMIT, form_data(world, street=None, community=None)).status_code == 302
    assert Appeal.all_objects.get().division_id == world.home.code


def test_half_a_coordinate_is_refused(verified: Client, world: World) -> None:
    _refused(verified, form_data(world, lat="41.8"), "lat")
    _refused(verified, form_data(world, lat="91", lng="123"), "lat")


def test_sixth_photo_is_refused(verified: Client, world: World) -> None:
    html = _refused(verified, form_data(world, photos=[jpeg(f"{n}.jpg") for n in range(6)]), "photos")
    assert "at most 5" in html


def test_non_image_is_refused(verified: Client, world: World) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is a program", content_type="image/jpeg")
    html = _refused(verified, form_data(world, photos=[fake]), "photos")
    assert "photo.jpg" in html


def test_oversize_photo_is_refused(verified: Client, world: World, settings: Any) -> None:
    settings.SHEGONG_IMAGE_MAX_BYTES = 300
    _refused(verified, form_data(world, photos=[jpeg()]), "photos")


def test_bad_third_photo_means_no_appeal_with_two(verified: Client, world: World) -> None:
    bad = SimpleUploadedFile("third.png", b"not a png", content_type="image/png")
    html = _refused(verified, form_data(world, photos=[jpeg("1.jpg"), jpeg("2.jpg"), bad]), "photos")
    assert "third.png" in html


def test_retired_category_is_refused(verified: Client, world: World) -> None:
    category = Category.objects.get(code="WAGE")
    category.is_active = False
    category.save()
    _refused(verified, form_data(world, category=category.pk), "category")


def test_errors_keep_what_was_typed_and_the_key(verified: Client, world: World) -> None:
    html = _refused(verified, form_data(world, key="keep", community="210105001999"), "district")
    assert "站点扣了我两千元押金不退" in html
    assert idem_key(html) == "key-keep"


# --- without JavaScript: the round trips for the place and the code -------------------------------------


def test_place_round_trip_lists_the_streets_and_keeps_the_text(client: Client, world: World) -> None:
    response = client.post(
        SUBMIT, {"_place": "1", "district": world.home.code, "text": "写了一半", "idem": "k1"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{world.home_street.code}"' in html
    assert "写了一半" in html
    assert idem_key(html) == "k1"
    assert nothing_filed()


def test_place_partial_follows_the_chosen_district(client: Client, world: World) -> None:
    html = client.get("/h5/appeals/new/places/", {"district": world.home.code}).content.decode()
    assert f'value="{world.home_street.code}"' in html
    assert 'name="community"' not in html
    html = client.get(
        "/h5/appeals/new/places/", {"district": world.home.code, "street": world.home_street.code}
    ).content.decode()
    assert f'value="{world.home_community.code}"' in html
    # the district changed: the old street no longer belongs and is dropped
    html = client.get(
        "/h5/appeals/new/places/", {"district": world.away.code, "street": world.home_street.code}
    ).content.decode()
    assert f'value="{world.away_street.code}"' in html
    assert f'value="{world.home_street.code}" selected' not in html
    assert 'name="community"' not in html


def test_send_code_round_trip_keeps_the_form(
    client: Client, world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = english(client).post(
            SUBMIT, {"action": "send", "phone": PHONE, "text": "写了一半", "idem": "k2", "photos": [jpeg()]}
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert last_code()
    assert "139****5678" in html
    assert "写了一半" in html
    assert "choose your photos again" in html
    assert 'data-h5-countdown="60"' in html
    assert nothing_filed()


def test_codes_per_address_are_capped(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shegong.appeals.h5 import otp

    monkeypatch.setattr(otp, "SENDS_PER_ADDRESS", 3)
    for n in range(3):
        ask_code(client, django_capture_on_commit_callbacks, phone=f"1391234000{n}")
    response = english(client).post(
        VERIFY, {"phone": "13912340009", "action": "send"}, HTTP_HX_REQUEST="true"
    )
    assert "Too many codes" in response.content.decode()
    assert not PhoneVerification.objects.filter(
        phone_hash=pii.blind_index(pii.PIIKind.PHONE, "13912340009")
    ).exists()
    # another address is not affected
    other = ask_code(Client(REMOTE_ADDR="10.0.0.9"), django_capture_on_commit_callbacks, phone="13912340008")
    assert other


def test_filings_per_address_are_capped(
    verified: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filing, "FILINGS_PER_ADDRESS", 1)
    assert verified.post(SUBMIT, form_data(world, key="a")).status_code == 302
    # the same form again still answers with its number
    assert verified.post(SUBMIT, form_data(world, key="a")).status_code == 302
    response = english(verified).post(SUBMIT, form_data(world, key="b", text="第二件事"))
    assert "Too many appeals" in response.content.decode()
    assert Appeal.all_objects.count() == 1


def test_pages_carry_no_inline_script_or_style(client: Client, world: World) -> None:
    from tests.web.html import csp_problems

    html = client.get(SUBMIT).content.decode()
    assert csp_problems(html) == []
    assert "/static/appeals/h5.js" in html


def test_a_code_never_asked_for_is_refused(client: Client, world: World) -> None:
    html = _refused(client, form_data(world, phone=PHONE, code="000000"), "code")
    assert "ask for a code first" in html
