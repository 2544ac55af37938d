"""An article's language: ISO 639-1 codes, their writing direction, and offline detection.

Shared by every stage (the readers set an article's language, the analysis splits and stems by
it, the pages mark it), so it imports nothing of the digest. Detection uses py3langid, the
naive Bayes identifier of langid.py (Lui & Baldwin, ACL 2012) that trafilatura also uses: a
model shipped inside the wheel, no network, the same answer for the same text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

# Scripts written right to left (HTML's dir="rtl"): Arabic, Persian, Hebrew, Urdu, and the
# other languages written in these scripts that the detector knows.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "ug", "ku", "sd", "dv"})

# What the analysis calls a language (sumy's and Snowball's names), by ISO 639-1 code.
LANGUAGE_NAMES = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "he": "hebrew",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "ja": "japanese",
    "ko": "korean",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sk": "slovak",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "th": "thai",
    "tr": "turkish",
    "uk": "ukrainian",
    "zh": "chinese",
}

# A language tag as front matter and config may write it: "fa", "pt-BR", "zh_Hant".
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# The detector needs some text to be sure: below this many letters it is not asked.
_MIN_LETTERS = 40
# Below this probability the detector's answer is not taken (the site's language is).
MIN_CONFIDENCE = 0.8
# How much of an article is enough to tell its language (the detector is linear in text).
_SAMPLE_CHARS = 3000
# Letters of the Arabic script that only Persian (and Urdu) use, and letters only Arabic uses:
# the detector confuses the two on short or old texts (Fars News' older pages write Arabic
# ي and ك), the letters do not.
_ARABIC_SCRIPT = frozenset({"ar", "arz", "fa", "ps", "ur", "ku", "ug", "sd"})
_PERSIAN_LETTERS = re.compile("[پچژگ]")
_ARABIC_LETTERS = re.compile("[ةىأإؤ]")


def language_tag(value: Any) -> str | None:
    """The primary ISO 639 code of a language tag ("pt-BR" -> "pt"), or None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _TAG.match(value.strip())
    return match.group(1).lower() if match else None


def language_name(code: str) -> str:
    """The analysis name of a language code ("de" -> "german"); English where none is known."""
    return LANGUAGE_NAMES.get(language_tag(code) or "", "english")


def direction(code: str) -> str:
    """HTML's writing direction of a language: "rtl" or "ltr"."""
    return "rtl" if (language_tag(code) or "") in RTL_LANGUAGES else "ltr"


# Words only English uses among the most frequent of news text: when they make this share of a
# text's words it is English without asking the detector, whose model takes a second or two to
# load (a build that reads one changed English article should not pay for that).
_ENGLISH_MARKER_WORDS = (
    "the of and to is that was with said for on by at from his he she it has have are were "
    "this which be will its their they who"
)
_ENGLISH_MARKERS = frozenset(_ENGLISH_MARKER_WORDS.split())
_ENGLISH_SHARE = 0.15
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _plainly_english(sample: str) -> bool:
    words = sample.split()
    if not words:
        return False
    markers = sum(1 for w in _LATIN_WORD.findall(sample) if w.lower() in _ENGLISH_MARKERS)
    return markers / len(words) >= _ENGLISH_SHARE


# One loading of the model at a time: a reader that needs it waits for the one loading ahead.
_MODEL_LOADING = threading.Lock()


class DetectorElsewhere(RuntimeError):
    """Raised instead of loading the detector's model where detector_elsewhere() says it is not
    to be loaded (a worker reading files: the build's own process loads it once, meanwhile)."""


_model_here = True


@contextmanager
def detector_elsewhere() -> Iterator[None]:
    """Meanwhile, a text that needs the detector's model raises DetectorElsewhere, unless the
    model is loaded already: for a worker process, whose caller then reads that file itself."""
    global _model_here
    before, _model_here = _model_here, False
    try:
        yield
    finally:
        _model_here = before


def _identifier() -> Any:
    if not _model_here and _loaded_identifier.cache_info().currsize == 0:
        raise DetectorElsewhere("the language detector's model is loaded by the build's process")
    with _MODEL_LOADING:
        return _loaded_identifier()


@cache
def _loaded_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


# Loading the model (0.6 s, most of it decompressing, which lets other threads run) pays off
# ahead of time once a reader has more files to parse than it parses in that time.
PRELOAD_FROM_FILES = 200


@contextmanager
def detector_loading(files: int) -> Iterator[None]:
    """Meanwhile, for a reader about to parse this many files: the detector's model loads in
    a thread (when there are enough of them to hide it), ready when an article needs it. The
    thread is done on leaving, so no thread is left running when the build forks workers, and
    the model (70 MB) is let go: nothing after reading needs it, and a later build in this
    process (`mkdocs serve`) reads few files."""
    many = files >= PRELOAD_FROM_FILES
    loader = None
    if many and _loaded_identifier.cache_info().currsize == 0:
        loader = threading.Thread(target=_identifier, name="digest-language-model", daemon=True)
        loader.start()
    try:
        yield
    finally:
        if loader is not None:
            loader.join()
        if many:
            _loaded_identifier.cache_clear()


def detect_language(texts: Sequence[str]) -> str | None:
    """The language of a text (headline and paragraphs), or None when it cannot be told.

    None for too little text or a low-confidence answer: the caller then falls back to the
    site's language. Arabic-script texts are settled by the letters only one of Arabic and
    Persian has, when the detector's answer is one of the two.
    """
    sample = "\n".join(texts)[:_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < _MIN_LETTERS:
        return None
    if _plainly_english(sample):
        return "en"
    identifier = _identifier()
    found, confidence = identifier.classify(sample)
    code = "ar" if found == "arz" else str(found)
    if code in _ARABIC_SCRIPT and confidence < MIN_CONFIDENCE:
        # Unsure between languages of one script (Persian, Pashto, Arabic on a short page):
        # sure of the script, take the likelier of Arabic and Persian and let the letters tell.
        ranked = dict(identifier.rank(sample))
        if sum(ranked.get(c, 0.0) for c in _ARABIC_SCRIPT) >= MIN_CONFIDENCE:
            code = max(("fa", "ar", "arz"), key=lambda c: ranked.get(c, 0.0))
            code, confidence = ("ar" if code == "arz" else code), 1.0
    if code in ("ar", "fa"):
        persian = len(_PERSIAN_LETTERS.findall(sample))
        arabic = len(_ARABIC_LETTERS.findall(sample))
        if persian or arabic:
            return "fa" if persian > arabic else "ar"
    if confidence < MIN_CONFIDENCE:
        return None
    return code
