"""The digest's default summarizer (first version: lead with readability rules)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.summarize import Summarizer

_STARTS_INSIDE_QUOTE = re.compile(r"^[”’]|^(?:He|She|They|It) said\b")


class DigestSummarizer(Summarizer):
    """News puts what matters first: rank by position, but skip sentences that read badly alone."""

    name = "digest"

    def __init__(self, language: str = "english") -> None:
        self.language = language

    def rank(self, sentences: Sequence[str], title: str) -> list[int]:
        readable = [i for i, s in enumerate(sentences) if _reads_alone(s)]
        rest = [i for i in range(len(sentences)) if i not in set(readable)]
        return readable + rest


def _reads_alone(sentence: str) -> bool:
    return len(sentence.split()) >= 6 and not _STARTS_INSIDE_QUOTE.search(sentence)
