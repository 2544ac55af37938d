"""An offline sentence and word tokenizer that sumy accepts in place of its NLTK one.

sumy's own ``Tokenizer("english")`` relies on NLTK sentence data that does not come with NLTK
and that we never fetch. nupunkt ships a Punkt model inside its wheel, so splitting works with
no network. On top
of it we fix what news text does to Punkt: quotes run together with the next sentence
(``Sochi.”As we said``) and abbreviations it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import nupunkt

from digest.model import Sentence

# A sentence end glued to the next sentence: `Sochi.”As`, `said.“We`, `end.The`.
_RUN_TOGETHER = re.compile(r"([.!?][”’\"']?)(?=[“‘\"]?[A-Z][a-z])")
# Closing quotes that Punkt leaves at the start of the next sentence.
_LEADING_CLOSER = re.compile(r"^([”’])\s*")
# Titles and abbreviations that never end a sentence in news copy.
_ABBREVIATIONS = [
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "Sen",
    "Rep",
    "Gov",
    "Gen",
    "Lt",
    "Col",
    "Maj",
    "Capt",
    "Sgt",
    "Adm",
    "Cmdr",
    "Rev",
    "St",
    "Sr",
    "Jr",
    "Hon",
    "Pres",
    "Supt",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Aug",
    "Sept",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
    "No",
    "Nos",
    "Vol",
    "Fig",
    "Inc",
    "Corp",
    "Co",
    "Ltd",
    "Bros",
    "Mt",
    "Ft",
    "Ave",
    "Blvd",
    "approx",
    "est",
    "dept",
    "vs",
    "etc",
]
_ABBREVIATION_BREAK = re.compile(
    r"\b(" + "|".join(_ABBREVIATIONS) + r")\.$",
)
_WORD = re.compile(r"[^\W_]+(?:[’'\-.][^\W_]+)*", re.UNICODE)


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split one paragraph of news text into sentences, deterministically and offline.

    `language`: an ISO code or sumy's name; English takes the Punkt path below, every other
    language the multilingual splitter of digest.analysis.languages.
    """
    if language not in ("en", "english"):
        from digest.analysis.languages import is_english, split_other

        if not is_english(language):
            return split_other(text, language)
    text = " ".join(text.split())
    if not text:
        return []
    # Give glued sentences the space Punkt needs, but not inside "U.S.A" or "3.5".
    text = _RUN_TOGETHER.sub(lambda m: _space_after_end(m, text), text)
    pieces = [str(p).strip() for p in nupunkt.sent_tokenize(text) if str(p).strip()]
    merged: list[str] = []
    for piece in pieces:
        closer = _LEADING_CLOSER.match(piece)
        if closer and merged:
            # A closing quote belongs to the sentence it closes.
            merged[-1] += closer.group(1)
            piece = piece[closer.end() :]
            if not piece:
                continue
        if merged and _ABBREVIATION_BREAK.search(merged[-1]):
            merged[-1] += " " + piece
            continue
        merged.append(piece)
    return [part for sentence in merged for part in _split_missed(sentence)]


# Punkt sometimes takes an ordinary word for an abbreviation ("the parade. Visitors came"):
# a lowercase word of two or more letters, a full stop, then a capitalised word is a sentence
# boundary in news copy unless the word is a known lowercase abbreviation.
_MISSED_BOUNDARY = re.compile(r"\b([a-z]{2,})\. (?=[“‘\"]?[A-Z][a-z])")
_LOWERCASE_ABBREVIATIONS = frozenset(
    {"vs", "approx", "est", "dept", "ca", "cf", "al", "etc", "ed", "eds", "pp", "op", "viz"}
)


def _split_missed(sentence: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _MISSED_BOUNDARY.finditer(sentence):
        if match.group(1) in _LOWERCASE_ABBREVIATIONS:
            continue
        parts.append(sentence[start : match.end() - 1])
        start = match.end()
    parts.append(sentence[start:])
    return [p for p in parts if p]


def _space_after_end(match: re.Match[str], text: str) -> str:
    start = match.start()
    # "U.S.Army" style initialisms: a single capital letter before the dot is not a sentence end.
    before = text[max(0, start - 2) : start]
    if len(before) == 2 and before[1].isupper() and not before[0].isalnum():
        return match.group(1)
    if start > 0 and text[start - 1].isupper() and start > 1 and text[start - 2] == ".":
        return match.group(1)
    return match.group(1) + " "


def sentences_of(paragraphs: Sequence[str], language: str = "en") -> tuple[Sentence, ...]:
    """Every sentence of a text's paragraphs, with its paragraph index and its position."""
    found: list[Sentence] = []
    for paragraph_index, paragraph in enumerate(paragraphs):
        for text in split_sentences(paragraph, language):
            found.append(Sentence(text, paragraph_index, len(found)))
    return tuple(found)


def split_words(text: str) -> list[str]:
    """Words of a sentence: letters and digits, keeping inner apostrophes and hyphens."""
    return _WORD.findall(text)


class NewsTokenizer:
    """Drop-in for ``sumy.nlp.tokenizers.Tokenizer`` that never downloads anything."""

    def __init__(self, language: str = "english") -> None:
        self._language = language

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self._language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(split_words(sentence))
