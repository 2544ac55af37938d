"""Never the same story twice: exact and near-duplicate text against what content/ holds.

The same wire story on two sites differs in a headline, a dateline, a trimmed last paragraph:
compared by 5-word shingles, the shorter text's shingles are mostly in the longer one's
(containment), however much either adds.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

SHINGLE = 5
# Share of the shorter text's shingles found in the other's: above it, one story. Half of
# all 5-word runs in common does not happen between two reporters' own words; it does
# between a wire story and its edited reprint.
NEAR_DUPLICATE = 0.5
# Shorter texts than this have too few shingles to judge by.
_MIN_WORDS = 40


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def fingerprint(text: str) -> str:
    """Equal for texts with the same words in the same order (spacing, case, punctuation
    aside)."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def shingles(text: str) -> frozenset[int]:
    tokens = words(text)
    grams = (" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))
    # Stable hashes (not Python's salted hash()): the same text gives the same set every run.
    return frozenset(
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams
    )


@dataclass
class DuplicateIndex:
    """The texts and URLs known so far (content/ and this run's new files), by file."""

    by_url: dict[str, str] = field(default_factory=dict)
    by_fingerprint: dict[str, str] = field(default_factory=dict)
    _shingles: list[tuple[str, frozenset[int]]] = field(default_factory=list)
    _postings: dict[int, list[int]] = field(default_factory=dict)

    def add(self, file: str, text: str, urls: tuple[str, ...] = ()) -> None:
        for url in urls:
            self.by_url.setdefault(url, file)
        self.by_fingerprint.setdefault(fingerprint(text), file)
        if len(words(text)) >= _MIN_WORDS:
            grams = shingles(text)
            number = len(self._shingles)
            self._shingles.append((file, grams))
            for gram in grams:
                self._postings.setdefault(gram, []).append(number)

    def duplicate_of(self, text: str) -> str | None:
        """The file holding the same story, or None."""
        exact = self.by_fingerprint.get(fingerprint(text))
        if exact is not None:
            return exact
        if len(words(text)) < _MIN_WORDS:
            return None
        grams = shingles(text)
        # Only files sharing a shingle are compared: an inverted index, not all pairs.
        shared = Counter(n for gram in grams for n in self._postings.get(gram, ()))
        for number, common in shared.most_common(5):
            file, other = self._shingles[number]
            if common >= NEAR_DUPLICATE * min(len(grams), len(other)):
                return file
        return None
