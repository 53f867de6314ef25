"""The framework floor for ``bench/ipn.py``: the minimal handler's work inside Django's request cycle.

The platform's settings and middleware (``civicpay.settings``, started as ``civicpay/wsgi.py`` starts it),
one URL, one view that does exactly what ``bench/ipn_minimal.py`` does (same signature check, same locked
read-check-update-insert on its own kept connection, same reply). Whatever this handler loses against the
minimal one is the cost of Django's request handling (request and response objects, middleware, URL
resolution) — a floor no IPN path written as a Django view can go below.
"""

from __future__ import annotations

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicpay.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.cache import never_cache  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django.views.decorators.http import require_GET  # noqa: E402

from bench.ipn_minimal import Store, reply_body, reply_code  # noqa: E402
from civicpay.core.process import configure_long_running_process  # noqa: E402

_store: list[Store] = []
_store_lock = threading.Lock()


@csrf_exempt
@require_GET
@never_cache
def ipn(request: HttpRequest) -> HttpResponse:
    with _store_lock:
        if not _store:
            _store.append(Store(os.environ["BENCH_IPN_DATABASE"]))
    params = {key: request.GET[key] for key in request.GET}
    code = reply_code(params, store=_store[0], secret=os.environ["BENCH_IPN_SECRET"])
    return HttpResponse(reply_body(code), content_type="application/json")


urlpatterns = [path("ipn", ipn)]
settings.ROOT_URLCONF = __name__
configure_long_running_process()
