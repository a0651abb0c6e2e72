"""Test settings: a temporary data folder, fast hashing, an in-memory cache."""

import os
import tempfile

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-secret-key-not-for-production-use-0123456789"
)
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL", "0")
os.environ.setdefault("KB_DATA_DIR", tempfile.mkdtemp(prefix="kb-test-"))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from kbsite.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
