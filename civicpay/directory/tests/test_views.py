from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


def test_ward_endpoint_lists_the_wards_of_a_province_as_json(client: Client):
    response = client.get(reverse("directory:wards"), {"tinh": "56"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert {"code": 22366, "name": "Phường Nha Trang"} in data
    assert reverse("directory:wards") == "/dia-gioi/phuong-xa/"


@pytest.mark.parametrize("value", ["", "abc", "49", "-1", "56; drop"])
def test_ward_endpoint_rejects_a_bad_province(client: Client, value: str):
    response = client.get(reverse("directory:wards"), {"tinh": value})
    assert response.status_code == 400
    assert "không hợp lệ" in response.json()["error"]


def test_ward_endpoint_only_answers_get(client: Client):
    assert client.post(reverse("directory:wards"), {"tinh": "56"}).status_code == 405


def test_place_search_endpoint_maps_old_names(client: Client):
    response = client.get(reverse("directory:place_search"), {"q": "Quảng Nam"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["name"] == "Thành phố Đà Nẵng"
    assert first["former_name"] == "Tỉnh Quảng Nam"
    assert client.get(reverse("directory:place_search"), {"q": "a"}).status_code == 400
