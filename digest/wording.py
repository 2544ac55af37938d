"""Counts in messages, with the noun in the right number: "1 article", "2 articles"."""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None, *, grouped: bool = False) -> str:
    """`number` and the noun for it: `one` for exactly 1, else `many` (by default `one` + "s").

    grouped writes thousands with commas ("9,700 articles")."""
    word = noun(number, one, many)
    return f"{number:,} {word}" if grouped else f"{number} {word}"


def noun(number: int, one: str, many: str | None = None) -> str:
    """The noun alone, in the number `number` asks for ("unknown options: ...")."""
    return one if number == 1 else many or f"{one}s"
