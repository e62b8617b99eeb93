"""A page refuses an oversized multipart body with a Chinese page (the API answers in its envelope)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_oversized_upload_to_a_page_gets_a_chinese_page(client: Client, settings: Any) -> None:
    settings.SHEGONG_UPLOAD_MAX_BYTES = 1024
    body = b"x" * 2048
    response = client.generic(
        "POST", "/h5/appeals/new/", body, content_type="multipart/form-data; boundary=zzz"
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "413" in html
    assert "<html" in html
    assert "1 MB" in html  # the limit, rounded up to whole megabytes
