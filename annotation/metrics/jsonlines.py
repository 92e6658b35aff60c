"""Reading the JSON Lines files people bring (MusAV's files, predictions): every problem is one error that
names the file and the line, raised as the caller's own error type."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def read_text(path: Path, error: type[Exception], encoding: str = "utf-8") -> str:
    try:
        return path.read_text(encoding=encoding)
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def json_objects(path: Path, error: type[Exception], *, text: str | None = None,
                 fallback: Callable[[str], dict[str, Any] | None] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of ``path`` (or of ``text`` read from it). ``fallback`` may
    read a line that is not JSON (MusAV's files hold some Python dict literals); None from it is an error."""
    for number, line in enumerate((read_text(path, error) if text is None else text).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            value = fallback(line) if fallback else None
            if value is None:
                raise error(f"{path}:{number}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise error(f"{path}:{number}: malformed JSON (nested too deeply)") from None
        if not isinstance(value, dict):
            raise error(f"{path}:{number}: expected a JSON object, got {type(value).__name__}")
        yield number, value
