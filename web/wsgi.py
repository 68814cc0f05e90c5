"""The only module-level app, for WSGI servers: `gunicorn web.wsgi:app` (refuses a weak or public secret)."""

from casework.access.secret_key import check_secret_key
from web import create_app

app = create_app()
check_secret_key(app.extensions["casework"].settings)
