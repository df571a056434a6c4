"""BOB, the operator blueprint review portal.

Importing this package has no side effects; build the web app with
:func:`portal.app.create_app` and the CLI lives in :mod:`portal.cli`.
"""

__version__ = "0.1.0"
