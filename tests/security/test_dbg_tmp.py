import pytest
from tests.security.test_api_fuzz import *  # noqa

pytestmark = pytest.mark.django_db


def test_dbg(world, api_schema):
    headers = _credentials(Identity("s", "intake", "session"), world)
    op = api_schema["/api/v1/accounts/me"]["GET"]
    case = op.Case()
    r = case.call(headers=headers)
    print("HEADERS", headers, r.status_code, r.text[:200], r.request.headers)
    assert 0
