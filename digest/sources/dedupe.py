"""Never the same story twice: exact and near-duplicate text against what content/ holds.

The same wire story on two sites differs in a headline, a dateline, a trimmed last paragraph:
compared by 5-word shingles (Broder's resemblance, as containment), the shorter text's
shingles are mostly in the longer one's, however much either adds. Texts are compared as
words, after Unicode format characters (soft hyphens, zero-width spaces and joiners, bidi
marks) are removed: they are invisible, and a copy sprinkled with them is the same story.

Two different stories can share a good part of their text without being one story: press
releases ending in the same "About the company" paragraph, a short item above a long standard
disclaimer. News puts the story first and such shared furniture last, so a near duplicate must
also share its lead: the opening shingles of one text must mostly be in the other.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

SHINGLE = 5
# Share of the shorter text's shingles found in the other's: above it, one story. Half of
# all 5-word runs in common does not happen between two reporters' own words; it does
# between a wire story and its edited reprint.
NEAR_DUPLICATE = 0.5
# The lead: the first shingles of a text (at most this many, at most half of its shingles).
LEAD_SHINGLES = 60
# Shorter texts than this have too few shingles to judge by.
_MIN_WORDS = 40


@cache
def _format_characters() -> dict[int, None]:
    """str.translate's table removing every character of Unicode category Cf (made once, on
    first use: only `digest fetch` compares texts)."""
    return {
        code: None for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    }


def normalised(text: str) -> str:
    """text without format characters, casefolded and in compatibility form (NFKC)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_format_characters()))
    return text.casefold()


def words(text: str) -> list[str]:
    return re.findall(r"\w+", normalised(text))


def fingerprint(text: str) -> str:
    """Equal for texts with the same words in the same order (spacing, case, punctuation and
    invisible characters aside)."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def _hashes(tokens: list[str]) -> list[int]:
    """The text's shingles in order, as stable 64-bit hashes (not Python's salted hash()):
    the same text gives the same numbers every run."""
    grams = (" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))
    return [
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams
    ]


def shingles(text: str) -> frozenset[int]:
    return frozenset(_hashes(words(text)))


def _lead(ordered: list[int]) -> frozenset[int]:
    return frozenset(ordered[: min(LEAD_SHINGLES, max(1, len(ordered) // 2))])


@dataclass
class DuplicateIndex:
    """The texts and URLs known so far (content/ and this run's new files), by file."""

    by_url: dict[str, str] = field(default_factory=dict)
    by_fingerprint: dict[str, str] = field(default_factory=dict)
    # Per text: its file, how many distinct shingles it has, and its lead's shingles.
    _texts: list[tuple[str, int, frozenset[int]]] = field(default_factory=list)
    _postings: dict[int, list[int]] = field(default_factory=dict)

    def add(self, file: str, text: str, urls: tuple[str, ...] = ()) -> None:
        for url in urls:
            self.by_url.setdefault(url, file)
        tokens = words(text)
        self.by_fingerprint.setdefault(_fingerprint_of(tokens), file)
        if len(tokens) >= _MIN_WORDS:
            ordered = _hashes(tokens)
            grams = set(ordered)
            number = len(self._texts)
            self._texts.append((file, len(grams), _lead(ordered)))
            for gram in grams:
                self._postings.setdefault(gram, []).append(number)

    def duplicate_of(self, text: str) -> str | None:
        """The file holding the same story, or None."""
        tokens = words(text)
        exact = self.by_fingerprint.get(_fingerprint_of(tokens))
        if exact is not None:
            return exact
        if len(tokens) >= _MIN_WORDS:
            ordered = _hashes(tokens)
            grams, lead = frozenset(ordered), _lead(ordered)
            # Only files sharing a shingle are compared: an inverted index, not all pairs.
            shared = Counter(n for gram in grams for n in self._postings.get(gram, ()))
            for number, common in shared.most_common(5):
                file, size, other_lead = self._texts[number]
                if common < NEAR_DUPLICATE * min(len(grams), size):
                    continue
                if self._same_lead(lead, number) or _share(other_lead, grams):
                    return file
        return None

    def _same_lead(self, lead: frozenset[int], number: int) -> bool:
        """Whether most of a lead's shingles are in text `number`."""
        found = sum(number in self._postings.get(gram, ()) for gram in lead)
        return found >= NEAR_DUPLICATE * len(lead)


def _share(lead: frozenset[int], grams: frozenset[int]) -> bool:
    return len(lead & grams) >= NEAR_DUPLICATE * len(lead)


def _fingerprint_of(tokens: list[str]) -> str:
    return hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()
