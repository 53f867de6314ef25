"""Health endpoints (civicpay/core/health.py): ``/healthz``, ``/readyz`` and ``/status``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from civicpay.core.health import CheckResult, Status, health_report, health_run, worst


def _report(results: list[CheckResult]) -> JsonResponse:
    return JsonResponse(
        health_report(results),
        status=503 if worst(results) is Status.FAIL else 200,
        json_dumps_params={"ensure_ascii": False},
    )


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: this process answers HTTP. Touches no database, so a database outage does not make an
    orchestrator restart every web process."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: this process can serve, i.e. the database answers (503 otherwise). The queues' lag is
    not readiness: a settlement backlog must not take web processes out of the load balancer."""
    return _report(health_run(names=["database"]))


def _may_see_status(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    token = str(settings.HEALTH_TOKEN)
    header = request.headers.get("Authorization", "")
    return bool(token) and header.startswith("Bearer ") and constant_time_compare(header[7:].strip(), token)


@never_cache
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """Every check (monitoring): 200 when none failed, 503 when one did. Platform staff, or a monitor
    presenting ``Authorization: Bearer <HEALTH_TOKEN>``; the figures tell business volume, so nobody else."""
    if not _may_see_status(request):
        response = JsonResponse({"error": "unauthorized"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="civicpay-status"'
        return response
    return _report(health_run())
