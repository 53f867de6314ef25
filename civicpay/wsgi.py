import os

from django.core.wsgi import get_wsgi_application

from civicpay.core.process import configure_long_running_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicpay.settings")
application = get_wsgi_application()
configure_long_running_process()
