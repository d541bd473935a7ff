"""Rendering one template: to bytes, or piece by piece, with Jinja's errors as one line."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError

from indico_sync.errors import RenderError


def render_template(env: Environment, name: str, **context: object) -> bytes:
    """One template to UTF-8 bytes; Jinja's errors become one RenderError line."""
    with _template_errors(env, name):
        return env.get_template(name).render(**context).encode()


def stream_template(env: Environment, name: str, **context: object) -> Iterator[str]:
    """One template's text piece by piece (`render_template`, for a big page)."""
    with _template_errors(env, name):
        yield from env.get_template(name).generate(**context)


@contextlib.contextmanager
def _template_errors(env: Environment, name: str) -> Iterator[None]:
    try:
        yield
    except TemplateNotFound as exc:
        folder = getattr(env.loader, "searchpath", ["templates"])[0]
        raise RenderError(f"{folder}/{exc.name}: template not found (needed for {name})") from exc
    except TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from exc
    except Exception as exc:  # a template's expression can raise anything: name the line
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")
        ]
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else name
        kind = "" if isinstance(exc, TemplateError) else f"{type(exc).__name__}: "
        raise RenderError(f"{where}: {kind}{exc}") from exc
