"""``portal serve``: the web UI and API under gunicorn (or the reloader with --dev)."""

from __future__ import annotations

import os
from typing import Any

import click

from portal.cli import Context, pass_context


def default_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 9)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), help="gunicorn worker processes [default: 2 x CPUs + 1, max 9].")
@click.option(
    "--dev", is_flag=True, help="Development server with auto-reload (never the debugger); not for production."
)
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the portal (gunicorn with sync workers: the fastest for this kind of page)."""
    ctx.require_current_schema()
    ctx.engine.dispose()  # no connection may cross the fork into the workers
    from portal.app import create_app

    app = create_app(ctx.settings)
    click.echo(f"BOB is running on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    if dev:
        from werkzeug.serving import run_simple

        run_simple(host, port, app, use_reloader=True, use_debugger=False, threaded=True)
        return
    _run_gunicorn(app, {"bind": f"{host}:{port}", "workers": workers or default_workers()})


def _run_gunicorn(app: Any, options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    from portal.cli.gunicorn_worker import PortalSyncWorker

    class PortalServer(BaseApplication):
        def load_config(self) -> None:
            settings = {
                # gunicorn's sync worker, with its own errors (414, 431, 500 on a timeout) as JSON under /api/
                "worker_class": PortalSyncWorker,
                "limit_request_line": 4094,  # bytes of "GET /path?query HTTP/1.1"; longer answers 414
                "accesslog": "-",
                "errorlog": "-",
                "timeout": 30,
                "graceful_timeout": 20,
                "max_requests": 2000,
                "max_requests_jitter": 200,
                **options,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    PortalServer().run()


def register(main: click.Group) -> None:
    main.add_command(serve)
