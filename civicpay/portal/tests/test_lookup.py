"""Public lookup by dossier code (no log-in), its rate limit, and the limiter itself."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from civicpay.core.ratelimit import client_ip, rate_limit
from civicpay.portal.dossier_views import LOOKUP_LIMIT
from civicpay.portal.tests.helpers import World


@pytest.mark.django_db
def test_lookup_shows_status_and_agency_but_no_personal_data(client: Client, world: World) -> None:
    world.issue_notice(world.own)
    response = client.get(reverse("portal:lookup"), {"code": world.own.code.lower()})
    page = response.content.decode()
    assert response.status_code == 200
    assert world.own.code in page
    assert "Chờ thanh toán" in page
    assert world.agency.name in page and world.procedure.name in page
    for personal in (
        world.owner.full_name,
        world.owner.phone,
        world.owner.email,
        world.owner.id_number,
        "Cấp 2 bản phiếu số 1",  # what the applicant wrote
        "cccd.pdf",
    ):
        assert personal and personal not in page


@pytest.mark.django_db
def test_unknown_code_says_so(client: Client, world: World) -> None:
    page = client.get(reverse("portal:lookup"), {"code": "G22.45-010101-9999"}).content.decode()
    assert "Không tìm thấy hồ sơ với mã này" in page


@pytest.mark.django_db
def test_empty_code_is_an_error_on_the_page(client: Client) -> None:
    page = client.get(reverse("portal:lookup"), {"code": ""}).content.decode()
    assert "Nhập mã hồ sơ" in page and "Có lỗi cần sửa" in page


@pytest.mark.django_db
def test_too_many_lookups_from_one_address_get_429(client: Client, world: World) -> None:
    url = reverse("portal:lookup")
    for _ in range(LOOKUP_LIMIT):
        assert client.get(url, {"code": world.own.code}).status_code == 200
    refused = client.get(url, {"code": world.own.code})
    assert refused.status_code == 429
    assert "Bạn đã tra cứu quá nhiều lần" in refused.content.decode()
    assert world.own.code not in refused.content.decode().split("<main", 1)[1]
    assert refused["Retry-After"] == "60"
    # Another address is not affected, and the empty form is always shown.
    assert client.get(url, {"code": world.own.code}, REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get(url).status_code == 200


def test_rate_limit_counts_per_scope_and_address() -> None:
    factory = RequestFactory()
    a = factory.get("/", REMOTE_ADDR="192.0.2.1")
    b = factory.get("/", REMOTE_ADDR="192.0.2.2")
    assert [rate_limit(a, scope="t", limit=2, period_seconds=60) for _ in range(3)] == [False, False, True]
    assert rate_limit(b, scope="t", limit=2, period_seconds=60) is False
    assert rate_limit(a, scope="other", limit=2, period_seconds=60) is False


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(settings: object) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.0.0.1"
    settings.CIVICPAY_TRUSTED_PROXIES = 1  # type: ignore[attr-defined]
    assert client_ip(request) == "203.0.113.7"  # the address our one proxy saw, not what the client wrote
