"""The only module-level app, for WSGI servers: `gunicorn web.wsgi:app` (logging joins gunicorn's error log)."""

from casework.logs import configure_logging
from web import create_app

configure_logging()
app = create_app()
