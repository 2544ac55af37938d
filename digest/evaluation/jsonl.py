"""JSON Lines input for every `digest eval` command: one object a line, errors naming the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class EvaluationError(ValueError):
    """Bad evaluation input: the message names the file (and line) and the problem."""


def json_objects(path: Path, error: type[ValueError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of `path` as (its line number, the object on it).

    A file that cannot be read, a line that is not JSON or not an object raises `error` (the
    caller's own kind, so its command reports it) with the place in the message.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read: {problem}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as problem:
            raise error(f"{where}: not valid JSON: {problem.msg}") from None
        if not isinstance(row, dict):
            raise error(f"{where}: expected a JSON object")
        yield number, row
