import os

from django.core.asgi import get_asgi_application

from civicpay.core.process import configure_long_running_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicpay.settings")
application = get_asgi_application()
configure_long_running_process()
