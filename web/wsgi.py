"""The only module-level app, for WSGI servers: `gunicorn web.wsgi:app`."""

from web import create_app

app = create_app()
