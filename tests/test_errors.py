"""Any exception as the CLI's one `error: ...` line."""

from __future__ import annotations

import pytest
import yaml

from indico_sync.errors import ConfigError, describe

TOKEN = "indp_" + "T0k3n" * 8


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (FileNotFoundError(2, "No such file or directory", "x.md"),
         "x.md: No such file or directory"),
        (RecursionError("maximum recursion depth exceeded"),
         "input nested too deeply (RecursionError; run with -v for the traceback)"),
        (MemoryError(), "out of memory (run with -v for the traceback)"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
         "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start "
         "byte (run with -v for the traceback)"),
        (TypeError("bad\noperand"),
         "unexpected TypeError: bad operand (run with -v for the traceback)"),
        (KeyError("x"), "unexpected KeyError: 'x' (run with -v for the traceback)"),
    ],
)  # fmt: skip
def test_describe_gives_one_line_for_anything(exc: BaseException, line: str) -> None:
    """Expected classes read plainly; anything else is called unexpected, with a pointer to -v."""
    assert describe(exc) == line


def test_describe_never_prints_the_token_or_control_characters() -> None:
    text = describe(ValueError(f"Illegal header value b'Bearer {TOKEN}'\x1b]0;x\x07"), hide=TOKEN)
    assert TOKEN not in text and "\x1b" not in text and "\x07" not in text


def test_our_errors_are_shown_whole_and_foreign_ones_bounded() -> None:
    """Our messages are bounded where raised; a library's may quote a huge value."""
    long = "x" * 5000
    assert describe(ConfigError(f"_config.yml: {long}")) == f"_config.yml: {long}"
    shown = describe(ValueError(long))
    assert len(shown) == 1000 and shown.endswith("...")


def test_a_library_error_is_named_not_called_a_bug() -> None:
    try:
        yaml.safe_load("a: [")
    except yaml.YAMLError as exc:
        text = describe(exc)
    assert text.startswith("ParserError: while parsing a flow")
    assert "unexpected" not in text and "\n" not in text
