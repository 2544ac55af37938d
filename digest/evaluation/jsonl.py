"""JSON Lines input for every `digest eval` command: one object a line, errors naming the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dateutil import parser as date_parser

# The date of a labelled article that gives none: all such articles are of one day.
UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)


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


def labelled_date(raw: dict[str, Any], where: str, error: type[ValueError]) -> datetime:
    """A labelled article's optional ``date`` (UNDATED without one), always time-zone aware."""
    if not raw.get("date"):
        return UNDATED
    try:
        date = date_parser.parse(str(raw["date"]))
    except (ValueError, OverflowError):
        raise error(f"{where}: {raw['date']!r} is not a date") from None
    return date if date.tzinfo is not None else date.replace(tzinfo=timezone.utc)
