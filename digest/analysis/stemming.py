"""Word stems for topic matching and the digest summarizer, without loading NLTK.

sumy's ``Stemmer`` wraps NLTK's Snowball port, and importing NLTK takes about two seconds: a
build that summarizes one changed article would spend most of its digest time on that import.
``snowballstemmer`` is the Snowball project's own Python output (the stemmer Sphinx's search
uses), imports in a fraction of that and runs PyStemmer's C code (a dependency: the same
stems, twenty times faster than the pure-Python code). Its English stemmer is the current
Porter2 ("added" -> "add", not "ad"; "university" and "universal" kept apart).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import snowballstemmer


@cache
def stemmer(language: str = "english") -> Callable[[str], str]:
    """A cached stem function for a Snowball language; it lowercases the word first."""
    algorithm = snowballstemmer.stemmer(language)

    @lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        return str(algorithm.stemWord(word.lower()))

    return stem
