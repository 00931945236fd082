"""WSGI entry point: `gunicorn wsgi:app`."""

from podcast import create_app

app = create_app()
