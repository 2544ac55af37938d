"""Topic attribution: which paragraphs of an article are about which configured topic.

Keyword matching alone falls into traps (see the seed article's labels), so a paragraph gets a
topic in steps, each of which the explanation can name:

1. **Evidence.** A topic's keywords are looked up by stem (the Snowball stemmer), so
   inflections count (interfered, interference); a keyword also matches its demonym (Iran ->
   Iranian, Venezuela -> Venezuelan). A keyword written with a capital letter ("Labour") only
   matches capitalised words. A lowercase phrase ("election interference") matches when its
   words stand close together in one sentence, in any order ("interference in the 2016
   presidential election"); a capitalised phrase ("Revolutionary Guard") must appear as written.
2. **Exclusions.** A topic's ``exclude`` phrases mark words used in another sense: a keyword
   inside "interfering in Venezuela" is no evidence for election interference.
3. **Passing mentions.** A keyword that is one item of a list of three or more names ("Iran,
   Syria, Ukraine and Venezuela"), or that only describes something else ("Iran-backed
   rebels", "Venezuelan-born"), is a mention in passing, not evidence.
4. **Continuation.** A paragraph with no evidence of its own belongs to a topic when it lies
   between paragraphs of that topic, or when it opens by pointing back ("He", "They", "This")
   to a paragraph about it. In a brief item (a feed item, a wire brief: at most four
   sentences) the headline continues into the first sentences as a mention would, so
   "Iran seizes tanker" over "The ship was boarded on Friday" is about Iran.
5. **Joining.** Each sentence is about the topic it has most evidence for; one without
   evidence continues a mention up to two sentences before it. Whether the article joins a
   topic is a logistic model's decision (digest.analysis.topic_evidence) over evidence that
   carries across corpora: the headline, the lede, the share of sentences about the topic and
   that share weighted by position, how late the first mention is, distinct keywords,
   quotations, the topic's vocabulary (``context``, configured or learned from the corpus),
   whether it is the main topic, and whether the keyword sits inside another name with nothing
   to confirm its sense. A passage of the article's own about a topic (adjacent paragraphs,
   two with their own keywords) joins it too, as a round-up story covers several subjects;
   in its last third only after another topic's passage (else it closes a report on
   something else).
   The result depends on the article and the topics alone, so the summary cache (keyed by
   the topics) stays exact.

Keywords in scripts written without spaces (Chinese, Japanese, Thai) are found as substrings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from digest.analysis.languages import known_code, stop_words
from digest.analysis.languages import stemmer as language_stemmer
from digest.analysis.stemming import stemmer
from digest.analysis.topic_evidence import (
    SHARE_FLOOR,
    Decision,
    Evidence,
    decide,
    position_weight,
)
from digest.model import Sentence, Topic

# Words of a phrase that carry no meaning of their own when matching by proximity.
_PHRASE_STOPWORDS = frozenset(
    {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "from"}
    | {"into", "over", "about", "against", "its", "their"}
)
# How many other words may stand between the words of a lowercase phrase.
PHRASE_SLACK = 6
# Title case: at least this many content words (words of TITLE_WORD_LETTERS letters or more),
# all capitalised; shorter words ("of", "to", "in") stay lowercase in most houses' title case.
TITLE_CONTENT_MIN = 4
TITLE_WORD_LETTERS = 4
# What may end the text before a clause that opens with a capital: a colon, a dash, a quote.
_CLAUSE_OPENERS = frozenset(":—–-“\"‘'(")
# Endings that make a demonym or adjective of a place name: Iran-ian, Venezuela-n, Iraq-i.
_DEMONYM_ENDINGS = ("n", "an", "ian", "i", "ese")
# Endings the stemmer leaves between noun and verb forms: interf(er), elect(or).
_DERIVATION_ENDINGS = ("e", "er", "or")
# A paragraph opening with one of these points back to the paragraph before it.
_ANAPHORA = frozenset(
    {"he", "she", "it", "they", "we", "this", "that", "these", "those", "such", "his", "her"}
    | {"their", "its", "both", "neither"}
)
# A quotation attributed to a pronoun: `,” he said`, `,” she added`, `said they`.
_PRONOUN_SPEAKER = re.compile(
    r"[”\"]\s*(?:(?:he|she|they)\s+(?:said|says|added|told|warned|wrote)|"
    r"(?:said|says|added)\s+(?:he|she|they))\b",
    re.IGNORECASE,
)
# Sandwich width: how many evidence-free paragraphs may sit inside one topic's passage.
MAX_GAP = 2
# How many sentences after a mention, within its paragraph, continue its topic.
CARRY = 2
# An article this short (in sentences) may name its subject only once.
BRIEF = 4
# The lede: the sentences that open a news story and say what it is about.
LEDE = 2
# How many distinct context words (a topic's ``context``) confirm a keyword's sense: one could
# be a coincidence ("FBI" in a hostage story), two rarely are.
CONTEXT_MIN = 2
# A section of its own: paragraphs with their own evidence, and distinct keywords, at least.
SECTION_PARAGRAPHS = 2
SECTION_KEYWORDS = 2
# Words joining the last item of a list.
_CONJUNCTIONS = frozenset({"and", "or"})
_LIST_ITEM_MAX_WORDS = 3

# "Iran-backed Houthi rebels" is about the rebels: a name in such a compound is a passing mention.
_DESCRIBING = re.compile(
    r"[-‐‑–](?:backed|allied|aligned|supported|sponsored|born|based|linked|funded|friendly|"
    r"leaning|bound|style|made)\b",
    re.IGNORECASE,
)
# Arabic-script vowel signs and Quranic marks (first, last code point): not word characters to
# the regex, but part of the word they sit on (مُحَمَّد is one word); dropped before stemming.
_ARABIC_MARK_RANGES = (
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)
_ARABIC_MARKS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _ARABIC_MARK_RANGES)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_LETTERS = rf"[^\W_]+(?:[{_ARABIC_MARKS}]+[^\W_]*)*"
_MARKED_TOKEN = re.compile(rf"{_LETTERS}(?:['’]{_LETTERS})*", re.UNICODE)
_ARABIC_MARK = re.compile(f"[{_ARABIC_MARKS}]")
# Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar): a word of
# theirs is no token of its own, so a keyword in them is found as a substring of the text.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_POSSESSIVE = re.compile(r"['’]s?$")

# French, Italian and Catalan write an elided article or preposition onto the word: l’Iran,
# d’Iran, dell’Iran are Iran.
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|dell|all|dall|nell|sull|un)['’]")
_ELIDING = frozenset({"fr", "it", "ca"})


def _arabic_script_table(persian: bool) -> dict[int, str | None]:
    """One letter form per letter in Arabic script, so a keyword written with one finds the
    other: Persian and Arabic yeh and kaf (ي/ی, ى/ی, ك/ک) as the language writes them, no
    tatweel (the stretching stroke, مـــجلس), no vowel signs (مُحَمَّد is محمد)."""
    table: dict[int, str | None] = {0x0640: None}
    for low, high in _ARABIC_MARK_RANGES:
        table.update(dict.fromkeys(range(low, high + 1)))
    pairs = {"ي": "ی", "ى": "ی", "ك": "ک"} if persian else {"ی": "ي", "ک": "ك"}
    table.update({ord(a): b for a, b in pairs.items()})
    return table


# Persian forms everywhere but in Arabic, whose stemmer knows Arabic letters only.
_TO_PERSIAN = _arabic_script_table(persian=True)
_TO_ARABIC = _arabic_script_table(persian=False)

_STEMMER = stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a word, lowercase, possessive removed (``Maduro’s`` -> ``maduro``)."""
    return _STEMMER(_POSSESSIVE.sub("", word.lower()).translate(_TO_PERSIAN))


@cache
def topic_language(language: str) -> str:
    """The ISO code topics are matched by: English when none is given, "und" (undetermined)
    for a language digest.language does not list."""
    return (known_code(language) or "und") if language else "en"


@cache
def _elides(language: str) -> bool:
    return topic_language(language) in _ELIDING


@cache
def stem_function(language: str = "en") -> Callable[[str], str]:
    """``stem`` for the words of an article in a language (an ISO code or an analysis name):
    its own Snowball stemmer (digest.analysis.languages), with Arabic-script letter forms
    unified; English is ``stem`` itself."""
    code = topic_language(language)
    if code == "en":
        return stem
    # A language without a listed stemmer is compared word for word, not by English stems.
    language_stem = str.lower if code == "und" else language_stemmer(code)
    table = _TO_ARABIC if code == "ar" else _TO_PERSIAN
    elided = code in _ELIDING

    @lru_cache(maxsize=65536)
    def stem_word(word: str) -> str:
        word = _POSSESSIVE.sub("", word.lower()).translate(table)
        if elided:
            word = _ELISION.sub("", word)
        return language_stem(word)

    return stem_word


def stem_variants(word_stem: str) -> frozenset[str]:
    """The stems a keyword's stem matches: itself, its demonyms, its noun and verb forms."""
    found = {word_stem}
    if len(word_stem) >= 4:
        found.update(word_stem + ending for ending in _DEMONYM_ENDINGS)
    if len(word_stem) >= 5:
        found.update(word_stem + ending for ending in _DERIVATION_ENDINGS)
    for ending in _DERIVATION_ENDINGS:
        if word_stem.endswith(ending) and len(word_stem) - len(ending) >= 5:
            found.add(word_stem[: -len(ending)])
    return frozenset(found)


class Tokens:
    """A sentence's words with their stems and where each stem occurs; built once per sentence."""

    __slots__ = (
        "text",
        "language",
        "words",
        "stems",
        "caps",
        "where",
        "_lists",
        "_pattern",
        "_spans",
    )

    def __init__(self, text: str, language: str = "en") -> None:
        self.text = text
        self.language = language
        # (Text without vowel signs, nearly all, takes the simpler pattern: it is faster.)
        self._pattern = _MARKED_TOKEN if _ARABIC_MARK.search(text) else _TOKEN
        # The words alone: where each stands is asked of a few words in a few sentences only.
        self.words: list[str] = self._pattern.findall(text)
        self._spans: tuple[list[int], list[int]] | None = None
        word_stem = stem_function(language)
        self.stems = [word_stem(w) for w in self.words]
        # "d’Iran" is capitalised as "Iran" is, in the languages that elide.
        shown = [_ELISION.sub("", w) for w in self.words] if _elides(language) else self.words
        self.caps = [w[:1].isupper() for w in shown]
        self.where: dict[str, list[int]] = {}
        for i, s in enumerate(self.stems):
            self.where.setdefault(s, []).append(i)
        self._lists: list[set[int]] | None = None

    @property
    def starts(self) -> list[int]:
        """Where each word starts in the text."""
        return self._word_spans()[0]

    @property
    def ends(self) -> list[int]:
        """Where each word ends in the text."""
        return self._word_spans()[1]

    def _word_spans(self) -> tuple[list[int], list[int]]:
        if self._spans is None:
            matches = list(self._pattern.finditer(self.text))
            self._spans = ([m.start() for m in matches], [m.end() for m in matches])
        return self._spans

    def __len__(self) -> int:
        return len(self.words)

    def gap(self, i: int) -> str:
        """The text between word i and word i + 1."""
        return self.text[self.ends[i] : self.starts[i + 1]] if i + 1 < len(self.words) else ""

    def describes(self, i: int) -> bool:
        """Whether word i only describes something else: Iran-backed rebels, Iranian-born."""
        return bool(_DESCRIBING.match(self.text, self.ends[i]))

    def shown(self, span: tuple[int, ...]) -> str:
        """A match as the reader would quote it: the words as written, possessive dropped."""
        if span[-1] - span[0] < 5:
            text = " ".join(self.text[self.starts[span[0]] : self.ends[span[-1]]].split())
        else:
            text = " … ".join(self.words[p] for p in span)
        return _POSSESSIVE.sub("", text) if text.endswith(("’s", "'s")) else text

    @property
    def lists(self) -> list[set[int]]:
        if self._lists is None:
            self._lists = list_items(self)
        return self._lists


@dataclass(frozen=True)
class Keyword:
    """A configured word or phrase, prepared for matching."""

    phrase: str
    variants: tuple[frozenset[str], ...]
    # Capitalised keywords match capitalised words only ("Labour" the party, not the market).
    capitalised: tuple[bool, ...]
    # Proper-noun phrases must appear word for word; others by proximity, in any order.
    exact: bool
    # Written in a script without spaces (委内瑞拉): found as a substring of the text.
    unspaced: bool = False
    # An English keyword written as two words, a compound: its words as written, casefolded
    # (see ``_other_compound``); empty for any other keyword.
    forms: tuple[str, ...] = ()

    @classmethod
    def parse(cls, phrase: str, language: str = "en") -> Keyword | None:
        """The phrase as an article in ``language`` is matched: stemmed by its stemmer."""
        if _UNSPACED.search(phrase):
            text = " ".join(phrase.split())
            return cls(text, (), (), True, unspaced=True) if text else None
        words = Tokens(phrase, language)
        every = range(len(words))
        content = [i for i in every if words.words[i].lower() not in _PHRASE_STOPWORDS]
        content = content or list(every)
        if not content:
            return None
        exact = len(content) > 1 and all(words.caps[i] for i in content)
        kept = list(every) if exact else content
        # The demonym and derivation endings are English morphology; another language's
        # Snowball stemmer already gives venezolano and venezolanos one stem.
        english = topic_language(language) == "en"
        return cls(
            phrase,
            tuple(
                stem_variants(words.stems[i]) if english else frozenset({words.stems[i]})
                for i in kept
            ),
            tuple(words.caps[i] for i in kept),
            exact,
            forms=tuple(words.words[i].casefold() for i in kept)
            if english and not exact and len(words) == len(kept) == 2
            else (),
        )

    def _candidates(self, tokens: Tokens, k: int) -> set[int]:
        found = {p for v in self.variants[k] for p in tokens.where.get(v, ())}
        if self.capitalised[k]:
            found = {p for p in found if tokens.caps[p]}
        return found

    def find_unspaced(self, text: str, blocked: set[int]) -> list[tuple[int, int]]:
        """Character ranges of every occurrence that uses no blocked character; none overlap."""
        found: list[tuple[int, int]] = []
        start = text.find(self.phrase)
        while start >= 0:
            end = start + len(self.phrase)
            if blocked.isdisjoint(range(start, end)):
                found.append((start, end))
                blocked.update(range(start, end))
                start = text.find(self.phrase, end)
            else:
                start = text.find(self.phrase, start + 1)
        return found

    def find(self, tokens: Tokens, blocked: set[int]) -> list[tuple[int, ...]]:
        """Token positions of every match that uses no blocked token; matches never overlap."""
        if any(v.isdisjoint(tokens.where) for v in self.variants):
            return []
        candidates = [self._candidates(tokens, k) - blocked for k in range(len(self.variants))]
        if not all(candidates):
            return []
        count = len(candidates)
        used = set(blocked)
        found: list[tuple[int, ...]] = []
        for i in sorted(set().union(*candidates)):
            if i in used:
                continue
            if self.exact:
                span = tuple(range(i, i + count))
                if all(p in candidates[k] and p not in used for k, p in enumerate(span)):
                    found.append(span)
                    used.update(span)
                continue
            start = next(k for k in range(count) if i in candidates[k])
            positions = {start: i}
            for j in range(i + 1, min(len(tokens), i + count + PHRASE_SLACK)):
                if len(positions) == count:
                    break
                if j in used:
                    continue
                for k in range(count):
                    if k not in positions and j in candidates[k]:
                        positions[k] = j
                        break
            if len(positions) == count and not self._other_compound(tokens, positions):
                span = tuple(sorted(positions.values()))
                found.append(span)
                used.update(span)
        return found

    def _other_compound(self, tokens: Tokens, positions: dict[int, int]) -> bool:
        """Whether the match is a two-word keyword's words swapped into another compound.

        An English compound names its last word: a "hacking campaign" is a campaign, while the
        keyword `campaign hacking` is hacking. The swapped pair is read as a compound only when
        it is written as the keyword writes its words (a plural allowed), with nothing but a
        space between, and ends its phrase (punctuation or a function word follows); otherwise
        it may be a verb and its object ("accused of hacking campaign emails", "probe Russia
        ties"), which keeps the keyword's sense. Keywords written with more words, or in
        another language, are left alone ("interference in the election" is meant to match
        "election interference")."""
        if not self.forms or positions[0] < positions[1]:
            return False
        first, second = positions[1], positions[0]
        if second != first + 1 or tokens.gap(first).strip():
            return False
        for k, p in positions.items():
            word = tokens.words[p].casefold()
            if word not in (self.forms[k], self.forms[k] + "s", self.forms[k] + "es"):
                return False
        return _ends_phrase(tokens, second)


# Words that close a noun phrase when they follow it: prepositions, conjunctions, relatives,
# auxiliaries (a closed class: an open-class word after two nouns is more likely their object).
_PHRASE_ENDERS = frozenset(
    {"a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "into"}
    | {"against", "over", "after", "before", "since", "during", "as", "than", "and", "or"}
    | {"but", "that", "which", "who", "whose", "is", "are", "was", "were", "be", "been"}
    | {"has", "have", "had", "will", "would", "could", "can", "may", "might", "should"}
)


def _ends_phrase(tokens: Tokens, last: int) -> bool:
    """Whether word ``last`` ends its phrase: the sentence or a punctuation mark follows, or a
    function word, or an adverb in -ly ("a hacking campaign widely blamed on Russia")."""
    if last + 1 >= len(tokens) or tokens.gap(last).strip(" -"):
        return True
    following = tokens.words[last + 1].casefold()
    return following in _PHRASE_ENDERS or following.endswith("ly")


@dataclass(frozen=True)
class CompiledTopic:
    topic: Topic
    # Longest first, so that "election meddling" claims its words before "meddling".
    keywords: tuple[Keyword, ...]
    exclude: tuple[Keyword, ...]
    # Every stem any keyword can match: a sentence with none of them is skipped at once.
    stems: frozenset[str] = frozenset()
    # Words that show the topic's sense of its keywords (Russia, FBI for "Mueller").
    context: tuple[Keyword, ...] = ()
    # Whether any keyword is written in a script without spaces (no stem can rule it out).
    unspaced: bool = False
    context_stems: frozenset[str] = frozenset()
    # Stem -> positions (in keywords, in context) of the phrases whose first word it can be: a
    # sentence tries only the phrases it holds a first word of, not all of them.
    keyword_index: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    context_index: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    # A keyword holding all of a shorter keyword's words names the same thing ("Robert
    # Mueller" is "Mueller"): counted as that keyword when keywords are told apart.
    same_as: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, topic: Topic, language: str = "en") -> CompiledTopic:
        """The topic as articles in ``language`` meet it: every keyword, whatever language it
        is written in, stemmed by that language's stemmer, as the article's words are."""

        def parse(phrases: Iterable[str]) -> list[Keyword]:
            return [k for k in (Keyword.parse(p, language) for p in phrases) if k is not None]

        keywords = parse(topic.keywords)
        keywords.sort(key=lambda k: (-len(k.variants), -len(k.phrase) if k.unspaced else 0))
        exclude = tuple(parse(topic.exclude))
        stems = frozenset(v for k in keywords for variants in k.variants for v in variants)
        context = tuple(parse(topic.context))
        unspaced = any(k.unspaced for k in keywords)
        context_stems = frozenset(v for k in context for variants in k.variants for v in variants)
        return cls(
            topic,
            tuple(keywords),
            exclude,
            stems,
            context,
            unspaced,
            context_stems,
            _first_word_index(keywords),
            _first_word_index(context),
            _same_as(keywords),
        )


def _same_as(keywords: Sequence[Keyword]) -> dict[str, str]:
    """Each keyword whose words include all of another's, mapped to the one with fewest words
    (the first of them, when two have the same words: Trump-Russia and Russia-Trump)."""
    words = {k.phrase: frozenset(w.casefold() for w in _TOKEN.findall(k.phrase)) for k in keywords}
    by_length = sorted(words, key=lambda phrase: len(words[phrase]))
    same: dict[str, str] = {}
    for n, phrase in enumerate(by_length):
        own = words[phrase]
        root = next((p for p in by_length[:n] if words[p] <= own), None)
        if root is not None:
            same[phrase] = same.get(root, root)
    return same


def _first_word_index(phrases: Sequence[Keyword]) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for position, phrase in enumerate(phrases):
        for variant in phrase.variants[0] if phrase.variants else ():
            index.setdefault(variant, []).append(position)
    return {stem: tuple(positions) for stem, positions in index.items()}


def _candidates(index: dict[str, tuple[int, ...]], tokens: Tokens) -> list[int]:
    """Positions of the phrases whose first word the sentence holds, in phrase order."""
    found = {p for word_stem in tokens.where for p in index.get(word_stem, ())}
    return sorted(found)


@dataclass(frozen=True)
class Hit:
    """One keyword found in a sentence."""

    keyword: str
    text: str  # as written in the article
    # "evidence", "passing" (an item of a list) or "excluded" (inside an exclude phrase).
    kind: str
    # Inside a quotation: someone's words, which may use the topic's words about something else.
    quoted: bool = False
    # Part of a longer name ("Kayla Mueller", "Carl Mueller"): maybe another person or thing;
    # None when capitalisation cannot tell (a title-case headline), counted neither way.
    in_name: bool | None = False
    # The words it took (token positions in the sentence; none for unspaced scripts).
    span: tuple[int, ...] = ()


def in_longer_name(tokens: Tokens, span: tuple[int, ...]) -> bool | None:
    """Whether a one-word capitalised match follows a capitalised word that is not part of it,
    not a function word and not a stop word opening the sentence ("Kayla Mueller", not "The
    Muellers", "said Mueller" or "What Mueller found"); None when capitalisation cannot tell,
    as in a title-case headline, where every word has a capital."""
    first = span[0]
    if len(span) > 1 or first == 0 or not tokens.caps[first]:
        return False
    before = tokens.words[first - 1].lower().replace("’", "'")
    if (
        not tokens.caps[first - 1]
        or tokens.gap(first - 1).strip()
        or before in _PHRASE_STOPWORDS
        or before in _ANAPHORA
        # "What Mueller found": a stop word capitalised only because it opens the sentence.
        or (_opens_sentence(tokens, first - 1) and before in stop_words(tokens.language))
    ):
        return False
    return None if title_case(tokens) else True


def _opens_sentence(tokens: Tokens, i: int) -> bool:
    """Whether word i is the first of its sentence or of a clause after a colon, a dash or an
    opening quotation mark, where any word is capitalised."""
    return i == 0 or tokens.gap(i - 1).strip()[-1:] in _CLAUSE_OPENERS


def title_case(tokens: Tokens) -> bool:
    """Whether an English sentence has every content word capitalised, as title-case headlines
    do ("Key Mueller Cooperator Testifies in Trial"); in ordinary case some are lowercase."""
    if topic_language(tokens.language) != "en":
        return False
    content = [
        i
        for i, word in enumerate(tokens.words)
        if len(word) >= TITLE_WORD_LETTERS
        and word[:1].isalpha()
        and word.lower() not in _PHRASE_STOPWORDS
    ]
    return len(content) >= TITLE_CONTENT_MIN and all(tokens.caps[i] for i in content)


def inside_quotation(text: str, position: int) -> bool:
    """Whether the character at ``position`` of a sentence stands inside a quotation, also one
    opened in an earlier sentence (the sentence then holds a closing mark first)."""
    before, after = text[:position], text[position:]
    opened, closed = before.count("“"), before.count("”")
    if opened or closed:
        return opened > closed
    if before.count('"') % 2:
        return True
    if not before.count('"') and after.count('"') % 2:
        return True
    closing = after.find("”")
    return closing >= 0 and "“" not in after[:closing]


def list_items(tokens: Tokens) -> list[set[int]]:
    """Token positions of the items of lists of three or more ("Iran, Syria and Venezuela").

    An item is one to three words, the first capitalised (names, not clauses); items are
    separated by commas and the last by "and" or "or".
    """
    lists: list[set[int]] = []
    n = len(tokens)
    i = 0
    while i < n:
        items: list[list[int]] = []
        j = i
        closed = False
        while j < n:
            item = _item_at(tokens, j)
            if item is None:
                break
            items.append(item)
            after = item[-1]
            if closed or after + 1 >= n:
                break
            # An abbreviation's full stop ("the U.S., Russia and China") is part of the item.
            gap = tokens.gap(after).strip().lstrip(".")
            conjunction = tokens.words[after + 1] in _CONJUNCTIONS
            if gap == "," and not conjunction:
                j = after + 1
            elif gap in (",", "") and conjunction:
                closed = True
                j = after + 2
            else:
                break
        if closed and len(items) >= 3:
            lists.append({p for item in items for p in item})
            i = items[-1][-1] + 1
        else:
            i += 1
    return lists


def _item_at(tokens: Tokens, start: int) -> list[int] | None:
    if start < len(tokens) - 1 and tokens.words[start].lower() == "the":
        start += 1
    if start >= len(tokens) or not tokens.caps[start]:
        return None
    item = [start]
    for j in range(start + 1, min(len(tokens), start + _LIST_ITEM_MAX_WORDS)):
        if tokens.gap(j - 1).strip(" .") or not tokens.caps[j]:
            break
        item.append(j)
    return item


def sentence_hits(compiled: CompiledTopic, tokens: Tokens) -> list[Hit]:
    """Every keyword of a topic in one sentence, each marked as evidence, passing or excluded."""
    if compiled.stems.isdisjoint(tokens.where) and not compiled.unspaced:
        return []
    excluded: set[int] = set()
    excluded_chars: set[int] = set()
    for phrase in compiled.exclude:
        if phrase.unspaced:
            for start, end in phrase.find_unspaced(tokens.text, set()):
                excluded_chars.update(range(start, end))
            continue
        for span in phrase.find(tokens, set()):
            excluded.update(range(span[0], span[-1] + 1))
    hits: list[Hit] = []
    used: set[int] = set()
    used_chars: set[int] = set()
    keywords = compiled.keywords
    if not compiled.unspaced:
        keywords = tuple(keywords[i] for i in _candidates(compiled.keyword_index, tokens))
    for keyword in keywords:
        if keyword.unspaced:
            # Longest first, so 委内瑞拉政府 claims its characters before 委内瑞拉.
            for start, end in keyword.find_unspaced(tokens.text, used_chars):
                kind = "excluded" if excluded_chars.intersection(range(start, end)) else "evidence"
                quoted = inside_quotation(tokens.text, start)
                hits.append(Hit(keyword.phrase, tokens.text[start:end], kind, quoted))
            continue
        for span in keyword.find(tokens, used):
            used.update(span)
            if any(p in excluded for p in span):
                kind = "excluded"
            elif any(set(span) <= items for items in tokens.lists) or tokens.describes(span[-1]):
                kind = "passing"
            else:
                kind = "evidence"
            quoted = inside_quotation(tokens.text, tokens.starts[span[0]])
            named = in_longer_name(tokens, span)
            name = compiled.same_as.get(keyword.phrase, keyword.phrase)
            hits.append(Hit(name, tokens.shown(span), kind, quoted, named, span))
    return hits


@dataclass(frozen=True)
class ParagraphTopics:
    """What attribution decided for one paragraph, and why: the explanation's unit."""

    index: int
    text: str
    topics: tuple[str, ...]
    # (topic slug, words found as evidence) for each topic with evidence in this paragraph.
    evidence: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (topic slug, words mentioned only in a list) -- not counted.
    passing: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (topic slug, words inside an exclude phrase) -- not counted.
    excluded: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (topic slug, why) for topics this paragraph has by continuation.
    continued: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Attribution:
    """One topic's share of an article: the paragraphs about it and the words that said so."""

    topic: str
    paragraphs: tuple[int, ...]
    share: float
    evidence: tuple[str, ...]
    # Paragraphs that have the topic by continuation, not by their own words.
    continued: tuple[int, ...] = ()
    # How many keyword matches counted as evidence.
    hits: int = 0
    # Whether the article joins the topic (share and evidence over the threshold).
    joined: bool = True
    # Indices (Sentence.index) of the sentences about the topic: its summary's source.
    sentences: tuple[int, ...] = ()
    # Whether the headline, dateline or lede (first two sentences) names the topic.
    lead: bool = False
    # The topic's context words found in the article when there are enough to agree with it
    # (see Topic.context), in the order they first appear.
    context: tuple[str, ...] = ()
    # Why the article joins the topic or not, in a few words: what decided.
    reason: str = ""
    # The evidence model's verdict, with each feature's contribution (None: not weighed).
    decision: Decision | None = None


@dataclass(frozen=True)
class Analysis:
    """A whole article's attribution: every paragraph, and each topic's total."""

    paragraphs: tuple[ParagraphTopics, ...]
    # Every topic with any attributed paragraph, joined or not, in config order.
    topics: tuple[Attribution, ...] = field(default=())

    @property
    def joined(self) -> tuple[Attribution, ...]:
        return tuple(a for a in self.topics if a.joined)


# "It is possible that ...", "It was not clear whether ...": an "it" that stands for the clause
# after it, not for anything before, so such a paragraph does not point back.
_EXPLETIVE_IT = re.compile(
    r"\s*it(?:['’]s|\s+(?:is|was|would\s+be|will\s+be|may\s+be|might\s+be|could\s+be|"
    r"seems|seemed|appears|appeared|remains|remained))\s+(?:\w+ly\s+|not\s+|also\s+|still\s+)*"
    r"(?:possible|impossible|likely|unlikely|clear|unclear|true|important|hard|difficult|easy|"
    r"worth|time|understood|expected|believed|said|reported|thought|known|too|no|not|"
    r"uncertain|doubtful|notable|telling|striking|odd|strange|plausible)\b",
    re.IGNORECASE,
)


def _opens_by_pointing_back(paragraph: str) -> bool:
    """Whether a paragraph opens with a pronoun ("They ...") or is a quotation credited only to
    "he said": its speaker, and so its subject, are those of the paragraph before."""
    tokens = _TOKEN.findall(paragraph[:80])
    if tokens and tokens[0].lower() in _ANAPHORA:
        return not _EXPLETIVE_IT.match(paragraph)
    return paragraph.lstrip()[:1] in '“"' and bool(_PRONOUN_SPEAKER.search(paragraph))


@dataclass
class _Found:
    """What the evidence pass found in one article: per topic slug, and per sentence."""

    # The words that named each topic in the headline or dateline.
    headline: dict[str, list[str]]
    distinct: dict[str, set[str]]
    # Each topic's context words as written -> the first sentence holding it (-1: headline).
    context: dict[str, dict[str, int]]
    # Body keyword matches: how many were quoted, inside another name, in all.
    quoted: Counter[str] = field(default_factory=Counter)
    in_name: Counter[str] = field(default_factory=Counter)
    name_unknown: Counter[str] = field(default_factory=Counter)
    matches: Counter[str] = field(default_factory=Counter)
    # How many body sentences give evidence, and the rank of the first one.
    in_sentences: Counter[str] = field(default_factory=Counter)
    first: dict[str, int] = field(default_factory=dict)
    # Matches in the sentences each topic won, and the words (casefolded -> count) that won.
    won: Counter[str] = field(default_factory=Counter)
    won_words: dict[str, Counter[str]] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    # Sentence index -> the topics it gives most evidence for.
    evidenced: dict[int, set[str]] = field(default_factory=dict)
    # Sentence index -> topic slug -> the distinct keywords with evidence in it.
    keywords_at: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    # Per paragraph: each member sentence's winners, and the union (the paragraph's own topics).
    winners: list[list[set[str]]] = field(default_factory=list)
    own: list[set[str]] = field(default_factory=list)
    reports: list[ParagraphTopics] = field(default_factory=list)

    @classmethod
    def empty(cls, topics: Sequence[Topic]) -> _Found:
        slugs = [t.slug for t in topics]
        found = cls({s: [] for s in slugs}, {s: set() for s in slugs}, {s: {} for s in slugs})
        found.won_words = {s: Counter() for s in slugs}
        return found


@dataclass(frozen=True)
class _Carried:
    """Which topics each sentence has once mentions colour their neighbours."""

    sentence_topics: dict[int, set[str]]
    # Per paragraph: topic slug -> why it continues a passage about that topic.
    continued: list[dict[str, str]]


class TopicMatcher:
    """Attributes an article's paragraphs to configured topics (see the module docstring).

    Three jobs, one method each: ``_evidence`` finds every keyword match and context word;
    ``_carry`` lets a mention colour the sentences and paragraphs that continue it; ``_join``
    weighs a topic's evidence with the logistic model of digest.analysis.topic_evidence.
    ``threshold`` is the share of sentences at which the share stops counting against a topic.
    """

    def __init__(self, topics: Sequence[Topic], threshold: float = 0.1) -> None:
        self.topics = tuple(topics)
        self.threshold = threshold
        # ISO code -> the topics compiled for articles in that language (see CompiledTopic.of).
        self._by_language: dict[str, tuple[CompiledTopic, ...]] = {}

    def compiled(self, language: str = "en") -> tuple[CompiledTopic, ...]:
        """The topics as articles in a language meet them, compiled once per language."""
        code = topic_language(language)
        if code not in self._by_language:
            self._by_language[code] = tuple(CompiledTopic.of(t, code) for t in self.topics)
        return self._by_language[code]

    def analyse(
        self,
        paragraphs: Sequence[str],
        sentences: Sequence[Sentence],
        headline: Sequence[str] = (),
        language: str = "en",
    ) -> Analysis:
        """Attribute every sentence and paragraph, keeping the reasons.

        ``headline`` holds what names the article besides its body (its title, its dateline):
        a topic found there is strong evidence. ``language`` is the article's: its words and
        the keywords are stemmed by that language's stemmer.
        """
        if not sentences:
            sentences = tuple(Sentence(text, i, i) for i, text in enumerate(paragraphs))
        by_paragraph: dict[int, list[Sentence]] = {}
        for sentence in sentences:
            by_paragraph.setdefault(sentence.paragraph, []).append(sentence)
        found = self._evidence(paragraphs, sentences, by_paragraph, headline, language)
        carried = self._carry(paragraphs, by_paragraph, found)
        attributions = tuple(
            attribution
            for compiled in self.compiled(language)
            if (attribution := self._join(compiled, sentences, found, carried)) is not None
        )
        return Analysis(self._final(found, carried, attributions), attributions)

    def attribute(
        self,
        paragraphs: Sequence[str],
        sentences: Sequence[Sentence],
        headline: Sequence[str] = (),
        language: str = "en",
    ) -> tuple[Attribution, ...]:
        """The topics the article joins, in config order."""
        return self.analyse(paragraphs, sentences, headline, language).joined

    # -- evidence ---------------------------------------------------------------------------

    def _evidence(
        self,
        paragraphs: Sequence[str],
        sentences: Sequence[Sentence],
        by_paragraph: dict[int, list[Sentence]],
        headline: Sequence[str],
        language: str,
    ) -> _Found:
        found = _Found.empty(self.topics)
        topics = self.compiled(language)
        for text in headline:
            tokens = Tokens(text, language)
            hits = {c.topic.slug: sentence_hits(c, tokens) for c in topics}
            record_context(tokens, found.context, topics, keywords=hits)
            for compiled in topics:
                slug = compiled.topic.slug
                for hit in hits[slug]:
                    if hit.kind == "evidence":
                        found.headline[slug].append(hit.text)
                        found.distinct[slug].add(hit.keyword)
                        found.in_name[slug] += hit.in_name is True
                        found.name_unknown[slug] += hit.in_name is None
        rank = {s.index: n for n, s in enumerate(sorted(sentences, key=lambda s: s.index))}
        for index, paragraph in enumerate(paragraphs):
            members = by_paragraph.get(index, [])
            buckets: dict[str, dict[str, list[str]]] = {"evidence": {}, "passing": {}}
            buckets["excluded"] = {}
            winners = [self._sentence(s, rank[s.index], found, buckets, language) for s in members]
            found.winners.append(winners)
            found.own.append(set().union(*winners) if winners else set())
            found.reports.append(
                ParagraphTopics(
                    index,
                    paragraph,
                    (),
                    _ordered(buckets["evidence"], self.topics),
                    _ordered(buckets["passing"], self.topics),
                    _ordered(buckets["excluded"], self.topics),
                )
            )
        return found

    def _sentence(
        self,
        sentence: Sentence,
        rank: int,
        found: _Found,
        buckets: dict[str, dict[str, list[str]]],
        language: str,
    ) -> set[str]:
        """Record one sentence's matches; return the topics it gives the most evidence for."""
        tokens = Tokens(sentence.text, language)
        topics = self.compiled(language)
        hits_of = {c.topic.slug: sentence_hits(c, tokens) for c in topics}
        record_context(tokens, found.context, topics, sentence.index, hits_of)
        counted: dict[str, list[Hit]] = {}
        for compiled in topics:
            slug = compiled.topic.slug
            for hit in hits_of[slug]:
                buckets[hit.kind].setdefault(slug, []).append(hit.text)
                if hit.kind == "evidence":
                    counted.setdefault(slug, []).append(hit)
                    found.distinct[slug].add(hit.keyword)
        found.keywords_at[sentence.index] = {
            slug: {h.keyword for h in hits} for slug, hits in counted.items()
        }
        for slug, hits in counted.items():
            found.in_sentences[slug] += 1
            found.first.setdefault(slug, rank)
            found.matches[slug] += len(hits)
            found.quoted[slug] += sum(h.quoted for h in hits)
            found.in_name[slug] += sum(h.in_name is True for h in hits)
            found.name_unknown[slug] += sum(h.in_name is None for h in hits)
        # A sentence is about the topic it gives the most evidence for (ties: all).
        best = max((len(hits) for hits in counted.values()), default=0)
        winning = {slug for slug, hits in counted.items() if len(hits) == best}
        found.evidenced[sentence.index] = winning
        for slug in winning:
            found.won[slug] += len(counted[slug])
            for hit in counted[slug]:
                found.won_words[slug][hit.text.casefold()] += 1
                found.shown.setdefault(hit.text.casefold(), hit.text)
        return winning

    # -- carry ------------------------------------------------------------------------------

    def _carry(
        self, paragraphs: Sequence[str], by_paragraph: dict[int, list[Sentence]], found: _Found
    ) -> _Carried:
        """A sentence without evidence continues the nearest sentence with evidence before it
        in its paragraph if that is at most CARRY sentences away (a mention colours its
        neighbours, not a wall of text); one that leads the paragraph joins the next. Then
        evidence-free paragraphs continue the passage around them (``continuations``)."""
        sentence_topics: dict[int, set[str]] = {}
        for index in range(len(paragraphs)):
            members, winners = by_paragraph.get(index, []), found.winners[index]
            for n, sentence in enumerate(members):
                topics_here = sentence_topics.setdefault(sentence.index, set())
                topics_here.update(winners[n])
                if winners[n]:
                    continue
                before = [m for m in range(max(0, n - CARRY), n) if winners[m]]
                if before:
                    topics_here.update(winners[before[-1]])
                elif n == 0 and len(members) > 1:
                    topics_here.update(winners[1])
        continued = continuations(paragraphs, found.own)
        for index, extra in enumerate(continued):
            for sentence in by_paragraph.get(index, []):
                sentence_topics.setdefault(sentence.index, set()).update(extra)
        return _Carried(sentence_topics, continued)

    # -- join -------------------------------------------------------------------------------

    def _join(
        self,
        compiled: CompiledTopic,
        sentences: Sequence[Sentence],
        found: _Found,
        carried: _Carried,
    ) -> Attribution | None:
        """One topic's attribution: its sentences and paragraphs, and the model's decision."""
        slug = compiled.topic.slug
        about = tuple(
            s.index for s in sentences if slug in carried.sentence_topics.get(s.index, ())
        )
        context = found.context[slug]
        agrees = len(context) >= CONTEXT_MIN
        if not about and found.headline[slug] and agrees:
            # The headline names the topic and the body speaks its vocabulary without a
            # keyword: the sentences with context words are the part about it.
            about = tuple(sorted({i for i in context.values() if i >= 0}))
        if not about and found.headline[slug] and len(sentences) <= BRIEF:
            about = headline_carried(sentences, carried)
        if not about and (sentences or not found.headline[slug]):
            return None  # (an item that is only a headline is all about what it names)
        paragraphs = tuple(sorted({s.paragraph for s in sentences if s.index in set(about)}))
        evidence = replace(self._weigh(slug, sentences, about, found), paragraphs=len(paragraphs))
        decision = decide(evidence)
        share = len(about) / len(sentences) if sentences else 1.0
        section = own_section(slug, found, carried, share, self.threshold)
        joined = decision.joined or section is not None
        reason = decision.reason()
        if section is not None and not decision.joined:
            first, last = section[0] + 1, section[1] + 1
            reason = (
                f"joins with a passage of its own (paragraphs {first} to {last}); the model "
                f"alone would not, {decision.summary()}"
            )
        ranked = tuple(
            found.shown[w]
            for w, _ in sorted(found.won_words[slug].items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return Attribution(
            topic=slug,
            paragraphs=paragraphs,
            share=round(share, 4),
            evidence=ranked or tuple(dict.fromkeys(found.headline[slug])),
            continued=tuple(i for i in paragraphs if slug in carried.continued[i]),
            hits=found.won[slug] + len(found.headline[slug]),
            joined=joined,
            sentences=about,
            lead=evidence.headline or evidence.lede > 0,
            context=tuple(context) if agrees else (),
            reason=reason,
            decision=decision,
        )

    def _weigh(
        self, slug: str, sentences: Sequence[Sentence], about: tuple[int, ...], found: _Found
    ) -> Evidence:
        """The features of one topic's evidence in the article (see topic_evidence)."""
        total = max(1, len(sentences))
        ordered = sorted(s.index for s in sentences)
        rank = {index: n for n, index in enumerate(ordered)}
        weights = [position_weight(n, total, LEDE) for n in range(total)]
        chosen = set(about)
        weighted = sum(weights[rank[i]] for i in chosen if i in rank) / max(1e-9, sum(weights))
        share = len(about) / total
        if not sentences:  # only a headline: it is all of the item
            share = weighted = 1.0
        headline = bool(found.headline[slug])
        lead = set().union(*(found.keywords_at.get(i, {}).get(slug, set()) for i in ordered[:LEDE]))
        best = max((found.matches[s] + len(found.headline[s]) for s in found.headline), default=0)
        mine = found.matches[slug] + len(found.headline[slug])
        first = found.first.get(slug)
        late = 0.0 if headline or first is None else first / max(1, total - 1)
        matches = found.matches[slug]
        named = len(found.headline[slug]) + matches - found.name_unknown[slug]
        # The keyword's sense is confirmed by a second keyword or by the topic's vocabulary;
        # without either, a match inside another name ("Kayla Mueller") is likely another sense.
        unconfirmed = len(found.distinct[slug]) == 1 and len(found.context[slug]) < CONTEXT_MIN
        return Evidence(
            headline=headline,
            lede=len(lead),
            share=math.log(max(share, SHARE_FLOOR) / self.threshold),
            weighted_share=math.log(max(weighted, SHARE_FLOOR) / self.threshold),
            distinct=len(found.distinct[slug]),
            sentences=found.in_sentences[slug],
            paragraphs=0,
            quoted=found.quoted[slug] / matches if matches else 0.0,
            vocabulary=len(found.context[slug]),
            main=mine / best if best else 0.0,
            first=late,
            brief=total <= BRIEF,
            other_name=unconfirmed and named > 0 and 2 * found.in_name[slug] >= named,
        )

    def _final(
        self, found: _Found, carried: _Carried, attributions: Sequence[Attribution]
    ) -> tuple[ParagraphTopics, ...]:
        """Each paragraph's report with its topics: its own, those it continues, and those of
        every attributed topic whose sentences it holds."""
        topics_of = [set(carried.continued[i]) | found.own[i] for i in range(len(found.own))]
        for attribution in attributions:
            for i in attribution.paragraphs:
                topics_of[i].add(attribution.topic)
        return tuple(
            replace(
                report,
                topics=tuple(t.slug for t in self.topics if t.slug in topics_of[report.index]),
                continued=tuple(carried.continued[report.index].items()),
            )
            for report in found.reports
        )


def headline_carried(sentences: Sequence[Sentence], carried: _Carried) -> tuple[int, ...]:
    """The opening sentences a brief item's headline carries its topic into.

    A feed item or a wire brief names its subject in the headline and says what happened in a
    sentence or two without naming it again ("Iran seizes tanker" / "The ship was taken on
    Friday"): the headline stands before the first sentence as a mention does before the
    sentences that continue it (CARRY), as long as they have no topic of their own."""
    opening = sorted(sentences, key=lambda s: s.index)[:CARRY]
    return tuple(s.index for s in opening if not carried.sentence_topics.get(s.index))


def record_context(
    tokens: Tokens,
    found: dict[str, dict[str, int]],
    topics: Sequence[CompiledTopic],
    index: int = -1,
    keywords: Mapping[str, Sequence[Hit]] | None = None,
) -> None:
    """Record each topic's context words in one sentence: word as written -> the index of
    the first sentence it is in (-1: the headline). One entry per context phrase.

    A context word inside one of the topic's own keyword matches ("probe" in "Russia probe")
    is that keyword again, not a second word confirming its sense: those tokens are skipped."""
    for compiled in topics:
        if not compiled.context:
            continue
        seen = found[compiled.topic.slug]
        for phrase in compiled.context:
            if phrase.unspaced and phrase.phrase not in seen and phrase.phrase in tokens.text:
                seen[phrase.phrase] = index
        if compiled.context_stems.isdisjoint(tokens.where):
            continue  # most sentences hold no context word
        hits = keywords.get(compiled.topic.slug, ()) if keywords else ()
        taken = {p for hit in hits for p in hit.span}
        for position in _candidates(compiled.context_index, tokens):
            phrase = compiled.context[position]
            if phrase.phrase in seen:
                continue
            if any(not taken.issuperset(span) for span in phrase.find(tokens, set())):
                seen[phrase.phrase] = index


def continuations(paragraphs: Sequence[str], own: list[set[str]]) -> list[dict[str, str]]:
    """Topics that evidence-free paragraphs take from the passage they continue."""
    continued: list[dict[str, str]] = [{} for _ in paragraphs]
    with_evidence = [i for i, found in enumerate(own) if found]
    # Sandwich: a short evidence-free run between two paragraphs of the same topic.
    for before, after in zip(with_evidence, with_evidence[1:], strict=False):
        gap = after - before - 1
        if 0 < gap <= MAX_GAP:
            for slug in sorted(own[before] & own[after]):
                for i in range(before + 1, after):
                    continued[i][slug] = f"between paragraphs {before + 1} and {after + 1} about it"
    # Pointing back: "They ...", "This ..." continue the paragraph before.
    for i in range(1, len(paragraphs)):
        if own[i] or continued[i] or not _opens_by_pointing_back(paragraphs[i]):
            continue
        previous = own[i - 1] | continued[i - 1].keys()
        for slug in sorted(previous):
            continued[i][slug] = f"opens by referring back to paragraph {i}"
    return continued


def own_section(
    slug: str, found: _Found, carried: _Carried, share: float, threshold: float
) -> tuple[int, int] | None:
    """A passage of the article's own about the topic, as a round-up story gives each of
    its subjects: a run of adjacent paragraphs about it, two or more by their own words,
    with two or more distinct keywords and at least the threshold's share. The model
    weighs what an article is about; a section is what ``topic_mode: passages`` promises
    to list as well. A run that opens in the article's last third is a section only in a
    round-up, after another topic's passage (the seed's Iran after Venezuela); elsewhere it
    is the closing aside of a report on something else ("two closing paragraphs about
    Venezuela" in a report on Cuba), and only the model decides, weighing its lateness.
    Returns the run's first and last paragraph."""
    if share < threshold or len(found.distinct[slug]) < SECTION_KEYWORDS:
        return None
    total = len(found.own)
    for first, last in _passages(slug, found, carried, total):
        if 3 * first < 2 * total or _after_another(slug, found, carried, first):
            return first, last
    return None


def _passages(slug: str, found: _Found, carried: _Carried, end: int) -> Iterator[tuple[int, int]]:
    """Runs of adjacent paragraphs about the topic before ``end``, each ending where it has
    SECTION_PARAGRAPHS paragraphs with the topic's own words: (first, last)."""
    run: list[int] = []
    for index in range(end):
        if slug in found.own[index] or slug in carried.continued[index]:
            run.append(index)
            if sum(slug in found.own[i] for i in run) >= SECTION_PARAGRAPHS:
                yield run[0], index
                run = []
        else:
            run = []


def _after_another(slug: str, found: _Found, carried: _Carried, start: int) -> bool:
    """Whether another topic has a passage of its own before paragraph ``start``."""
    others = sorted({other for own in found.own[:start] for other in own} - {slug})
    return any(next(_passages(other, found, carried, start), None) for other in others)


def _ordered(
    found: dict[str, list[str]], topics: Iterable[Topic]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((t.slug, tuple(found[t.slug])) for t in topics if t.slug in found)
