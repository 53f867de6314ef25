from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "civicpay.directory"
    label = "directory"
    verbose_name = "Directory"
