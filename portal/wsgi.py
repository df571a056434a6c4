"""WSGI entry point for any server: ``gunicorn 'portal.wsgi:app'``, uWSGI ``module = portal.wsgi:app``.

Reads the settings from ``PORTAL_*`` variables and ``<instance>/portal.toml``.
"""

from portal.app import create_app

app = create_app()
