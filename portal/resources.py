"""Where the top-level ``templates/``, ``static/`` and ``migrations/`` live.

In a checkout (or an editable install) they sit beside the ``portal``
package; a built wheel carries them inside it (``portal/templates`` etc.,
see ``[tool.hatch.build.targets.wheel.force-include]``). Look inside first.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory ``name`` (templates, static, migrations), wherever installed."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"The portal's '{name}' folder is missing (looked in {PACKAGE_DIR} and its parent). "
        "Reinstall the package: pip install --force-reinstall <portal>."
    )
