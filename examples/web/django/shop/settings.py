"""Settings of the example: no database, no sessions, no static files; templates from shop/templates."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# An example's key: a deployment sets its own.
SECRET_KEY = "wasipy-example-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"]}]
DATABASES = {}
USE_TZ = True
TIME_ZONE = "UTC"
WSGI_APPLICATION = "shop.wsgi.application"
