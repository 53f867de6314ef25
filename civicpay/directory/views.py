"""JSON look-ups for address forms: the wards of a province, and place search (with pre-2025 names)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from civicpay.directory.places import is_province, search_places, wards

_ONE_DAY = 24 * 3600


@require_GET
@cache_control(public=True, max_age=_ONE_DAY)
def ward_list(request: HttpRequest) -> JsonResponse:
    """``GET /dia-gioi/phuong-xa/?tinh=56`` → ``[{"code": 22366, "name": "Phường Nha Trang"}, …]``."""
    raw = request.GET.get("tinh", "").strip()
    if not raw.isdigit() or not is_province(int(raw)):
        return JsonResponse({"error": _("Mã tỉnh/thành phố không hợp lệ.")}, status=400)
    return JsonResponse([{"code": w.code, "name": w.name} for w in wards(int(raw))], safe=False)


@require_GET
def place_search(request: HttpRequest) -> JsonResponse:
    """``GET /dia-gioi/tim-kiem/?q=Quảng Nam`` → current provinces/wards, with the old name that matched."""
    query = request.GET.get("q", "").strip()
    if len(query) < 2 or len(query) > 100:
        return JsonResponse({"error": _("Nhập từ 2 đến 100 ký tự để tìm địa danh.")}, status=400)
    return JsonResponse(
        [
            {
                "kind": m.kind,
                "code": m.code,
                "name": m.name,
                "label": m.label,
                "province_code": m.province_code,
                "province_name": m.province_name,
                "former_name": m.former_name,
            }
            for m in search_places(query)
        ],
        safe=False,
    )
