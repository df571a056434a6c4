"""Reading a JSON request body with limits, once for every endpoint (``request.get_json``).

Python's ``json`` accepts things the rest of the portal cannot hold: a lone
surrogate (``"\\ud800"``) is valid JSON but cannot be stored or encoded as
UTF-8, and a body nested a few thousand levels deep raises
``RecursionError`` inside the parser. Both used to surface as 500s. Here
they, and a body that is not UTF-8, become a 400 ``invalid_json`` that says
what to fix. A body that is simply not JSON keeps Flask's contract: with
``silent=True`` the view gets ``None`` and explains the shape it expects.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request

from portal.errors import InvalidInput

MAX_JSON_DEPTH = 32  # arrays and objects inside each other; the API's deepest body is 3
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class InvalidJSON(InvalidInput):
    code = "invalid_json"


def parse_json_body(data: bytes) -> Any:
    """The decoded body; raise :class:`InvalidJSON` for what no endpoint can use, ``ValueError`` for bad syntax."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJSON(
            f"The request body is not UTF-8 (invalid byte at offset {exc.start}). Send JSON encoded as UTF-8."
        ) from exc
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise InvalidJSON(_too_deep()) from exc
    _check(value, may_hold_surrogates=_ESCAPED_SURROGATE.search(text) is not None)
    return value


def _too_deep() -> str:
    return f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects."


def _check(value: Any, *, may_hold_surrogates: bool) -> None:
    """Walk the containers without recursion: depth limit, and (only if escapes were seen) lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()] if may_hold_surrogates else list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            if may_hold_surrogates and isinstance(item, str):
                _check_text(item)
            continue
        if depth >= MAX_JSON_DEPTH:
            raise InvalidJSON(_too_deep())
        stack.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidJSON(
            f"The JSON body holds a lone surrogate ({text[exc.start]!a}), which is not text. "
            "Send real characters (escape pairs like \\ud83d\\ude00 are fine)."
        ) from exc


class PortalRequest(Request):
    """Flask's request with :func:`parse_json_body` behind ``get_json``."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)  # Flask's 415 / None
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        try:
            value = parse_json_body(self.get_data(cache=cache))
        except ValueError as exc:  # plain syntax errors (InvalidJSON is not a ValueError: it always raises)
            if not silent:
                raise InvalidJSON(f"The request body is not valid JSON ({exc}). Check the syntax and resend.") from exc
            if cache:
                self._cached_json = (self._cached_json[0], None)
            return None
        if cache:
            self._cached_json = (value, value)
        return value


def init_app(app: Flask) -> None:
    app.request_class = PortalRequest
