#!/usr/bin/env bash
# Django (Debian's python3-django): migrate of contrib apps plus a small
# app (FKs, indexes, unique), ORM queries, then inspectdb.
set -euo pipefail
d=$1/django
mkdir -p "$d/capapp/migrations"
touch "$d/capapp/__init__.py" "$d/capapp/migrations/__init__.py"
cat >"$d/capapp/models.py" <<'PY'
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100, db_index=True)
    email = models.EmailField(unique=True)
    born = models.DateField(null=True)

class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    published = models.DateTimeField(auto_now_add=True)
    class Meta:
        indexes = [models.Index(fields=["title", "price"])]
PY
cd "$d"
exec /usr/bin/python3 - <<'PY'
import os, sys, io
sys.path.insert(0, os.getcwd())
import django
from django.conf import settings
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PGDATABASE"],
                           "USER": "postgres", "HOST": "127.0.0.1", "PORT": os.environ["PGPORT"]}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "capapp"],
    USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.AutoField")
django.setup()
from django.core.management import call_command
call_command("makemigrations", "capapp", verbosity=0)
call_command("migrate", verbosity=0)
from capapp.models import Author, Book
a = Author.objects.create(name="x", email="x@example.com")
Book.objects.create(author=a, title="t", price="9.99")
list(Book.objects.filter(author__name__icontains="x").select_related("author").order_by("-price")[:10])
Author.objects.filter(pk=a.pk).update(name="y")
from django.db.models import Count
list(Author.objects.annotate(n=Count("book")).values("name", "n"))
from django.db import transaction
with transaction.atomic():
    with transaction.atomic():
        Author.objects.get_or_create(email="z@example.com", defaults={"name": "z"})
Book.objects.all().delete()
call_command("inspectdb", stdout=io.StringIO())
PY
