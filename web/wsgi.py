"""The only module-level app, for WSGI servers: `gunicorn web.wsgi:app` (refuses a weak or public secret;
logging joins gunicorn's error log)."""

from casework.access.secret_key import check_secret_key
from casework.logs import configure_logging
from web import create_app, freeze_start_up

configure_logging()
app = create_app()
check_secret_key(app.extensions["casework"].settings)
freeze_start_up()
