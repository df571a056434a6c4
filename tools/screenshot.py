"""Take the README's screenshot from the real app: demo data, a spec page, Debian's chromium.

    python tools/screenshot.py [--out docs/screenshot.png] [--spec nova/compute-graceful-shutdown]

Builds a throwaway instance, loads the demo, serves it on a free loopback
port, logs in as the demo reviewer and captures the top of a spec page.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from portal.accounts import passwords
from portal.app import create_app
from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.demo.loader import load_demo
from portal.settings import Settings

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--spec", default="nova/compute-graceful-shutdown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        migrations.upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo(session, passwords.hasher(testing=True))
            session.commit()
        settings = Settings.for_testing(Path(tmp) / "instance", url)
        app = create_app(settings)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                f"{tmp}/profile", executable_path="/usr/bin/chromium", headless=True, args=ARGS,
                viewport={"width": 1360, "height": 1000}, device_scale_factor=1,
            )
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#username", "rita")
            page.fill("#password", "reviewer-demo")
            page.click("button[type=submit]")
            project, name = args.spec.split("/")
            page.goto(f"{base}/projects/{project}/specs/{name}")
            page.screenshot(path=str(args.out))
            context.close()
        server.shutdown()
        engine.dispose()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
