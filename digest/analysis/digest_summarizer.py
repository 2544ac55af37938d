"""The digest's default summarizer: lead-aware centrality with a headline signal, built on sumy.

News puts what matters first, so the ranking starts from the article's order and only moves a
later sentence up when it is clearly better. A sentence's score adds:

- a position prior (``-position_weight * log(1 + i)``), as in PacSum's position-aware centrality;
- the share of the headline's content words it contains (Edmundson's title method);
- its centrality: cosine similarity (tf-idf over Snowball stems, sumy's stop words left out) to
  the other sentences, and, PacSum-style, to the sentences *after* it (a good lead sentence is the
  one the rest of the article elaborates);
- a length prior: a digest sentence should say one thing completely, neither a fragment nor a
  run-on of scraped debris.

A readable lead that already holds a good share of the headline's content words stays first:
the later sentences that outscored such a lead lost ROUGE to it on editors' decks, and a
conservative start keeps the summary from falling below the lead baseline on unseen articles.

Further picks pay for overlap with what is already picked (redundancy removal). Sentences that
read badly on their own (starting inside a quotation, a dangling "He said", datelines, bylines,
"Read more" links, captions and photo credits, the page addressing its reader, questions,
fragments, duplicates) rank after every readable one, and a sentence that opens by pointing
back (in English, German, French, Spanish, Italian, Portuguese or Dutch) only follows the
sentence it points to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from digest.analysis.languages import is_english, points_back, stemmer, stop_words, word_set
from digest.analysis.summary_base import (
    MAX_GRAPH_SENTENCES,
    Summarizer,
    sumy_document,
)
from digest.analysis.tokenizer import NewsTokenizer
from digest.sources.cleanup import ends_sentence, furniture_kind, glued_headline
from digest.sources.text import Guarded

_OPENERS = "“‘"
_CLOSERS = "”’"
# A sentence that goes on from the one before: "He said ...", "She added that ...".
_DANGLING_ATTRIBUTION = re.compile(
    r"^(?:He|She|They|It|We|I)\s+(?:also\s+)?"
    r"(?:said|says|added|adds|told|tells|continued|went on|noted|explained|insisted)\b"
)
# Site furniture: link labels, captions, credits, bylines.
_FURNITURE = re.compile(
    r"^(?:READ MORE|Read more|ALSO READ|Also read|RELATED|Related|WATCH|Watch|LISTEN|"
    r"OPINION|MORE|SEE ALSO|See also|Click here|Follow us|Subscribe|Sign up|Advertisement|"
    r"Photo|Picture|Image|Video|Caption|Image caption|Media caption|Copyright)\b\s*[:\-–—|]"
    r"|^(?:Interview|Reporting|Written|Edited|Compiled|Additional reporting) by\b"
    r"|^By\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*(?:[,|/]|$)"
    r"|\((?:Photo|Picture|Image)s?:[^)]*\)\s*$"
    r"|(?:©|\ball rights reserved\b)",
)
# (Every match of these holds one of the strings: most sentences need no search, see Guarded.)
_FURNITURE_SEEN = Guarded(
    _FURNITURE, (":", "-", "–", "—", "|", " by", "By", "©", "all rights reserved")
)
# A caption widget or a photo credit anywhere in a sentence: scraped players put the caption
# of a picture ("Hide caption", "toggle caption") into the text next to the story.
_CAPTION_WIDGET = re.compile(
    r"\b(?:hide|show|toggle|expand|close) caption\b|\benlarge this image\b"
    r"|\b(?:image|media|photo|video) (?:caption|credit|copyright)\b|\bAP Photo\b"
    r"|/\s?(?:Getty Images|AFP|Reuters|AP|EPA|Bloomberg|Pool)\b|\bvia Getty Images\b",
    re.IGNORECASE,
)
_CAPTION_WIDGET_SEEN = Guarded(
    _CAPTION_WIDGET, ("caption", "image", "credit", "copyright", "ap photo", "/")
)
# The page speaks to its reader about itself: letters forms, newsletters, apps, subscriptions,
# its own site ("Submit your letter to the editor via this form.", "Sign up for our newsletter.",
# "Auf unserer Website werden Cookies verwendet."): a possessive of the reader or the publisher
# before a thing only the page has. Quotations are left out ("'Our website was hacked,' ...").
_PAGE_PROMOTION = re.compile(
    r"\b(?:your|our|unser\w*|notre|nos|votre|vos|nuestr\w+|vuestr\w+|tu|tus)\s+(?:[\w-]+\s+)?"
    r"(?:letters? to the editor|letters?|newsletters?|inbox|forms?|app|podcasts?|"
    r"subscriptions?|journalism|membership|website|site|webseite|seite|sitio|página|"
    r"comments? section|e-?mail alerts?|privacy policy|datenschutz\w*|coverage|cobertura|"
    r"couverture|berichterstattung)\b(?!\s+(?:of|de)\b)"
    r"|\b(?:via|through|using|in|on) (?:this|the following) form\b",
    re.IGNORECASE,
)
_PAGE_PROMOTION_SEEN = Guarded(
    _PAGE_PROMOTION,
    (
        *("letter", "inbox", "form", "app", "podcast", "subscription", "journalism"),
        *("membership", "site", "seite", "sitio", "página", "comment", "mail alert"),
        *("privacy policy", "datenschutz", "coverage", "cobertura", "couverture"),
        "berichterstattung",
    ),
)
_ADDRESSES_READER = re.compile(
    r"^(?:Submit|Send|Share|Write|Tell|Email|E-mail|Sign up|Subscribe|Register|Click|Tap|"
    r"Follow|Download|Join|Support|Donate|Contact|Listen|Watch|Read)\b"
    r"|\b(?:you|your|our|us)\b|\b(?:unser\w*|notre|nos|nuestr\w+)\b",
    re.IGNORECASE,
)


# Pronouns, demonstratives and connectives that open a sentence leaning on the one before, in
# languages other than English (English has the cleaner's fuller rule, `points_back`). Words
# that also open sentences standing alone ("Die" is German's "the", "Es gibt") are left out;
# none is an English word, so all apply whatever the configured language (scraped sites mix).
_LEANING_OPENERS: dict[str, frozenset[str]] = {
    "german": word_set(
        "er sie dies diese dieser dieses daher deshalb deswegen dennoch trotzdem jedoch",
        "allerdings außerdem zudem damit darum dabei dazu sein seine seiner aber",
    ),
    "french": word_set(
        "il elle ils elles cela ceci celui celle ceux celles mais cependant pourtant toutefois",
        "néanmoins donc lui leur leurs ses",
    ),
    "spanish": word_set(
        "él ella ellos ellas esto eso este esta estos estas ese esa esos esas aquel aquella",
        "pero además asimismo también",
    ),
    "italian": word_set("egli lui lei loro questo questa però tuttavia inoltre"),
    "portuguese": word_set("ele ela eles elas isso isto essa esse porém contudo"),
    "dutch": word_set("hij zij dit deze dat maar echter bovendien daarom"),
}
# A time phrase after a demonstrative stands alone ("Diese Woche", "Cette année", "Este año").
_TIME_AFTER_DEMONSTRATIVE = word_set(
    "woche monat jahr morgen abend semaine mois année matin soir semana mes año mañana tarde",
    "noche settimana mese anno ano week maand jaar montag dienstag mittwoch donnerstag freitag",
    "samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes",
    "miércoles jueves viernes sábado domingo",
)
_LEANING_WORDS = frozenset().union(*_LEANING_OPENERS.values())
_FIRST_WORDS = re.compile(r"[^\W\d_]+")
# "Martin Kobler: Of course ..." (an interview's speaker label), a kicker ("Paris pullout: Now,
# ..."), a dateline "BERLIN (AP) —" or a wire prefix "(CNN) —".
_LABEL = re.compile(
    r"^(?:[A-Z][\w'’.-]*\s){0,3}[A-Z][\w'’.-]*:\s"
    r"|^[A-Z][\w'’-]*(?: [\w'’-]+){0,2}:\s"
    r"|^[A-Z][A-Z .,'’/-]{2,40}(?:\([^)]{1,30}\))?\s*[—–-]\s"
    r"|^\([A-Z][\w.&'’/ -]{0,30}\)\s*[—–-]"
)
# Subject and possessive forms only: "our time" or "makes us" are common in plain reporting.
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|[Ww]e|[Mm]y)\b")
# A quotation left open carries into at most this many following sentences (scraped text has
# stray quote marks that would otherwise mark the rest of an article as quoted).
_MAX_QUOTED_RUN = 4
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’")


class DigestSummarizer(Summarizer):
    """Position-aware centrality plus a headline signal, with readability rules.

    Every weight is a constructor argument; the defaults were chosen on editors' decks of DW and
    Al Jazeera articles (see docs/quality.md) and kept round so as not to fit one corpus.
    """

    name = "digest"

    def __init__(
        self,
        language: str = "english",
        *,
        position_weight: float = 0.25,
        headline_weight: float = 1.0,
        centrality_weight: float = 0.5,
        forward_weight: float = 1.5,
        length_weight: float = 0.5,
        ideal_words: int = 25,
        redundancy_weight: float = 1.0,
        continuation_weight: float = 0.5,
        later_position_weight: float = 0.25,
        duplicate_similarity: float = 0.8,
        keep_lead_coverage: float = 0.4,
        min_words: int = 6,
        skip_questions: bool = True,
        skip_unattributed_first_person: bool = True,
        max_sentences: int = MAX_GRAPH_SENTENCES,
    ) -> None:
        if ideal_words < 1 or min_words < 0 or max_sentences < 1:
            raise ValueError("ideal_words and max_sentences must be positive, min_words >= 0")
        self.language = language
        self.position_weight = position_weight
        self.headline_weight = headline_weight
        self.centrality_weight = centrality_weight
        self.forward_weight = forward_weight
        self.length_weight = length_weight
        self.ideal_words = ideal_words
        self.redundancy_weight = redundancy_weight
        self.continuation_weight = continuation_weight
        self.later_position_weight = later_position_weight
        self.duplicate_similarity = duplicate_similarity
        self.keep_lead_coverage = keep_lead_coverage
        self.min_words = min_words
        self.skip_questions = skip_questions
        self.skip_unattributed_first_person = skip_unattributed_first_person
        self.max_sentences = max_sentences
        self._tokenizer = NewsTokenizer(language)
        # Per language (digest.analysis.languages); the English-only rules below only in English.
        self._stop_words = stop_words(language)
        self._stem = stemmer(language)
        self._english = is_english(language)
        # An article's sentences are judged again for each of its summaries (the article's,
        # each topic's): what a sentence gave is kept, for the latest articles only.
        self._verdicts: dict[tuple[str, bool], str | None] = {}
        self._leaning: dict[str, bool] = {}

    # -- ranking -------------------------------------------------------------------------------

    def rank(self, sentences: Sequence[str], title: str) -> list[int]:
        return self._ranking(sentences, title, None)[0]

    def summary_order(
        self, sentences: Sequence[str], title: str, follows: Sequence[bool] | None
    ) -> list[int]:
        """The summary takes only sentences that read alone (or follow their antecedent in it).

        When no sentence reads alone (a tiny or broken article), the article's first sentences.
        """
        order, usable = self._ranking(sentences, title, follows)
        return order[:usable] or order

    def _ranking(
        self, sentences: Sequence[str], title: str, follows: Sequence[bool] | None
    ) -> tuple[list[int], int]:
        """Every index, best first, and how many of the first ones may be in a summary.

        follows[i]: sentence i comes right after sentence i - 1 in the article (in a topic's
        passage it may not); None means every sentence does.
        """
        n = len(sentences)
        if n == 0:
            return [], 0
        # Bounded cost: the n×n similarity matrix covers the first sentences only; the rest of
        # a very long article follows in article order.
        considered = min(n, self.max_sentences)
        scores, similarity = self.scores(sentences[:considered], title)
        keeps_lead = self.headline_coverage(sentences[0], title) >= self.keep_lead_coverage
        readable = self.readable(sentences[:considered])
        # A sentence that points back ("But ...", "He also ...") may only join right after the
        # sentence it points to: a summary never leans on a sentence it left out.
        antecedent = [
            i - 1 if i > 0 and (follows is None or follows[i]) else -1 for i in range(considered)
        ]
        leans = [self._leans_back_kept(s) for s in sentences[:considered]]
        picked: list[int] = []
        chosen: set[int] = set()
        remaining = [i for i in range(considered) if readable[i]]
        deferred: list[int] = []
        max_overlap = np.zeros(considered)
        while remaining:
            candidates = [i for i in remaining if not leans[i] or antecedent[i] in chosen]
            if not candidates:
                break
            if not picked and keeps_lead and candidates[0] == 0:
                best = 0  # a readable lead that already says what the headline says stays
            else:
                adjusted = self._adjusted(candidates, scores, max_overlap, chosen)
                best = candidates[int(np.argmax(adjusted))]  # argmax keeps the earliest of ties
            picked.append(best)
            chosen.add(best)
            remaining.remove(best)
            max_overlap = np.maximum(max_overlap, similarity[best])
            # A near-copy of a picked sentence adds nothing: it goes to the back.
            deferred += [i for i in remaining if similarity[best, i] >= self.duplicate_similarity]
            remaining = [i for i in remaining if similarity[best, i] < self.duplicate_similarity]
        for i in sorted(deferred):  # last resort for a long budget, still reading alone
            if not leans[i] or antecedent[i] in chosen:
                picked.append(i)
                chosen.add(i)
        usable = len(picked)
        picked += [i for i in range(considered) if i not in chosen]
        picked += list(range(considered, n))
        return picked, usable

    def _adjusted(
        self, candidates: list[int], scores: np.ndarray, overlap: np.ndarray, chosen: set[int]
    ) -> np.ndarray:
        """Candidates' scores once some sentences are picked: redundancy costs, following a
        picked sentence earns, and later sentences pay more for their place."""
        adjusted = scores[candidates] - self.redundancy_weight * overlap[candidates]
        if chosen:
            after = np.array([i - 1 in chosen for i in candidates], dtype=float)
            adjusted = (
                adjusted
                + self.continuation_weight * after
                - self.later_position_weight * np.log1p(candidates)
            )
        return adjusted

    def scores(self, sentences: Sequence[str], title: str) -> tuple[np.ndarray, np.ndarray]:
        """Each sentence's score, and the sentences' pairwise cosine similarity."""
        n = len(sentences)
        document = sumy_document(sentences, self._tokenizer)
        bags = [self._content_words(s.words) for s in document.sentences]
        vocabulary = {w: i for i, w in enumerate(sorted({w for bag in bags for w in bag}))}
        counts = np.zeros((n, max(len(vocabulary), 1)))
        rows = [row for row, bag in enumerate(bags) for _ in bag]
        columns = [vocabulary[word] for bag in bags for word in bag]
        np.add.at(counts, (rows, columns), 1.0)
        frequency = (counts > 0).sum(axis=0)
        idf = np.log((n + 1) / (frequency + 0.5))
        vectors = counts * idf
        norms = np.linalg.norm(vectors, axis=1)
        unit = vectors / np.where(norms > 0, norms, 1)[:, None]
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, 0.0)

        centrality = _scaled(similarity.sum(axis=1))
        forward = _scaled(np.triu(similarity).sum(axis=1))
        headline = set(self._content_words(self._tokenizer.to_words(title)))
        coverage = np.array(
            [len(headline.intersection(bag)) / len(headline) if headline else 0.0 for bag in bags]
        )
        lengths = np.array([max(len(s.split()), 1) for s in sentences], dtype=float)
        length_penalty = np.abs(np.log(lengths / self.ideal_words))
        position = np.log1p(np.arange(n))
        score = (
            -self.position_weight * position
            + self.headline_weight * coverage
            + self.centrality_weight * centrality
            + self.forward_weight * forward
            - self.length_weight * length_penalty
        )
        similarity[np.arange(n), np.arange(n)] = 1.0
        return score, similarity

    def headline_coverage(self, sentence: str, title: str) -> float:
        """The share of the headline's content words (stemmed) that a sentence contains."""
        headline = set(self._content_words(self._tokenizer.to_words(title)))
        if not headline:
            return 0.0
        words = set(self._content_words(self._tokenizer.to_words(sentence)))
        return len(headline & words) / len(headline)

    def _content_words(self, words: Sequence[str]) -> list[str]:
        lowered = (w.lower() for w in words)
        return [self._stem(w) for w in lowered if w not in self._stop_words and not w.isdigit()]

    # -- readability ---------------------------------------------------------------------------

    def leans_back(self, sentence: str) -> bool:
        """Whether a sentence opens by pointing back at the one before (in its language)."""
        # English's rule, whatever the language (scraped sites mix), then the article's own.
        if points_back(sentence) or points_back(sentence, self.language):
            return True
        words = [w.casefold() for w in _FIRST_WORDS.findall(sentence[:60])[:2]]
        if not words or words[0] not in _LEANING_WORDS:
            return False
        return len(words) < 2 or words[1] not in _TIME_AFTER_DEMONSTRATIVE

    def readable(self, sentences: Sequence[str]) -> list[bool]:
        """Whether each sentence can stand alone in a summary (see `why_unreadable`)."""
        flags: list[bool] = []
        seen: set[str] = set()
        quote_open = False
        run = 0
        for sentence in sentences:
            problem = self._why_unreadable_kept(sentence, quote_open and run < _MAX_QUOTED_RUN)
            key = " ".join(sentence.lower().split())
            if problem is None and key in seen:
                problem = "duplicate"
            seen.add(key)
            flags.append(problem is None)
            still_open = _quote_open_after(sentence, quote_open)
            run = run + 1 if still_open and quote_open else 0
            quote_open = still_open
        return flags

    def _why_unreadable_kept(self, sentence: str, quote_open: bool) -> str | None:
        key = (sentence, quote_open)
        if key not in self._verdicts:
            if len(self._verdicts) >= _KEPT_VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = self.why_unreadable(sentence, quote_open)
        return self._verdicts[key]

    def _leans_back_kept(self, sentence: str) -> bool:
        if sentence not in self._leaning:
            if len(self._leaning) >= _KEPT_VERDICTS:
                self._leaning.clear()
            self._leaning[sentence] = self.leans_back(sentence)
        return self._leaning[sentence]

    def why_unreadable(self, sentence: str, quote_open: bool = False) -> str | None:
        """Why a sentence reads badly alone, or None; `quote_open`: a quotation runs into it."""
        text = sentence.strip()
        if not text:
            return "fragment"
        if _FURNITURE_SEEN.search(text) or furniture_kind(text) is not None:
            return "boilerplate"
        if _CAPTION_WIDGET_SEEN.search(text):
            return "caption or photo credit"
        unquoted = _QUOTED.sub(" ", text)
        if _PAGE_PROMOTION_SEEN.search(unquoted) and _ADDRESSES_READER.search(unquoted):
            return "the page speaks to its reader"
        if _LABEL.search(text):
            return "dateline or label"
        if glued_headline(text):
            return "headline glued to the sentence"
        if len(text.split()) < self.min_words or not ends_sentence(text):
            return "fragment"
        if text[0] in _CLOSERS or (quote_open and text[0] not in _OPENERS + '"'):
            return "starts inside a quotation"
        if _closes_before_opening(text):
            return "starts inside a quotation"
        if text.count("“") > text.count("”") or unquoted.count('"') % 2:
            return "opens a quotation it does not close"
        if text[0] in _OPENERS + '"' and len(unquoted.split()) < 2:
            return "quotation without attribution"
        if self._english and _DANGLING_ATTRIBUTION.search(text):
            return "dangling attribution"
        if self.skip_questions and text.rstrip("”’\"' ").endswith("?"):
            return "question"
        if self.skip_unattributed_first_person and self._english and _FIRST_PERSON.search(unquoted):
            return "unattributed first person"
        return None


# Sentences whose verdicts a summarizer keeps: a few articles' worth.
_KEPT_VERDICTS = 4096


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def _closes_before_opening(text: str) -> bool:
    """A closing quotation mark before any opening one: the quote began earlier."""
    for char in text:
        if char in "“":
            return False
        if char == "”":
            return True
    return False


def _quote_open_after(sentence: str, open_before: bool) -> bool:
    """Whether a double quotation is still open after this sentence (curly or straight)."""
    state = open_before
    text = sentence.strip()
    if text[:1] in '“"':
        state = False  # a new quotation starts here (news repeats “ on every quoted paragraph)
    for at, char in enumerate(text):
        if char == "“":
            state = True
        elif char == "”":
            state = False
        elif char == '"' and not (text[at - 1 : at].isalnum() and text[at + 1 : at + 2].isalnum()):
            state = not state  # a straight quote, unless scraping debris inside a word (don"t)
    return state
