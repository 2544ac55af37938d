"""Scraped copy, cleaned: page furniture set apart from an article's text before it is analysed.

Text scraped from news pages carries what stood around the story on the page: photo captions
and credits, sign-up and "Read more" lines, video-player labels, related-link blocks glued into
sentences, bylines and time stamps, and the headline run into the first sentence. None of it
belongs in a summary or decides a topic, but none of it is deleted either: each piece is kept as
a `SetApart` (its kind, its text and where it stood), and the article page shows it muted.

The rules look at the shape and place of a piece of text (a short line that asks the reader to
do something, a parenthesis that ends in an agency credit, a surname glued to a headline and
closed by MORE), not at one site's strings. Users add their own patterns with the `boilerplate`
option. Every pattern here is linear: bounded repetitions, no nested quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.model import SetApart
from digest.sources.text import Guarded

CAPTION = "caption"
CREDIT = "credit"
PROMO = "sign-up or navigation line"
RELATED = "related links"
BYLINE = "byline or time stamp"
HEADLINE = "headline repeated in the text"
CONFIGURED = "matches a boilerplate pattern"

# A piece of page furniture is short: a real paragraph that merely mentions a newsletter is not.
_SHORT_WORDS = 30
_CREDIT_WORDS = 25
_CAPTION_WORDS = 80

# "In this photo taken Aug. 5, 2019, ...", "FILE - In this Jan. 3 file photo, ...",
# "In an image made from video ...": how wire captions open.
_CAPTION_OPENING = re.compile(
    r"^(?:FILE(?: PHOTO)?\s*[-–—:|]\s*)?"
    r"(?:In (?:this|these) (?:[\w.,'’-]+ ){0,7}?"
    r"(?:photos?|photograph|image|picture|frame grab|screen ?grab|screenshot|video|handout)\b"
    r"|(?:This|The) (?:\w+ ){0,3}?(?:photo|image|picture|screenshot|frame grab) "
    r"(?:shows|released|provided|taken|made)\b)"
)
# Labels and widgets that photo and video players put into scraped text.
_CAPTION_LABEL = re.compile(
    r"\b(?:toggle caption|hide caption|show caption|Enlarge this image|Image caption|"
    r"Media caption|Photo caption|Image copyright|Photo credit|Caption:|Photograph:|"
    r"Pictured:|Image:|Photo:|Photos:)"
)
# (Every match holds one of these: most sentences need no search, see Guarded.)
_CAPTION_LABEL_SEEN = Guarded(
    _CAPTION_LABEL, ("caption", "Caption:", "Enlarge this image", "Image", "Photo", "Pictured:")
)
# A trailing parenthesis that credits a picture: "(AP Photo/Ariana Cubillos, File)",
# "(Official Iranian President website/Handout via Reuters)", "(Photo: Getty Images)".
_TRAILING_CREDIT = re.compile(
    r"\s*\((?=[^()]{0,160}\))(?=[^()]*(?:\bPhotos?\b|\bImages?\b|\bHandout\b|\bPool\b|"
    r"\bvia\b|\bCourtesy\b|\bCredit\b|/))[^()]{3,160}\)\s*$"
)
# A credit line: "Mark Kauzlarich/Bloomberg via Getty Images", "Photo by Jane Roe/AFP".
_CREDIT_LINE = Guarded(
    re.compile(
        r"(?:\bvia (?:Getty|Reuters|AP|AFP|EPA|Shutterstock|Bloomberg)\b|\bGetty Images\b"
        r"|^(?:Photo|Photograph|Picture|Image|Video)s? (?:by|courtesy|credit)\b"
        r"|\b[A-Z][\w.'’-]+ [A-Z][\w.'’-]+ ?/ ?(?:[A-Z][\w.&'’-]*)(?: [A-Z][\w.&'’-]*){0,3}$)"
    ),
    ("via ", "Getty Images", "Photo", "Picture", "Image", "Video", "/"),
)
# A line that asks the reader to do something on the page rather than report the news.
_PROMO_ANYWHERE = Guarded(
    re.compile(
        r"\b(?:newsletters?|inbox|delivered to your|download (?:the|our) app|follow us|"
        r"like us on|click here|tap here|read more|read the full|continue reading|keep reading|"
        r"more videos|just watched|must watch|advertisement|sponsored content|story continues|"
        r"skip (?:ad|advertisement)|recommended for you|most (?:read|popular)|trending now|"
        r"support (?:our|independent) journalism|contributed to this report|all rights reserved|"
        r"terms of (?:use|service)|privacy policy|"
        r"(?:this|the) (?:story|article|report) (?:was|has been) (?:updated|corrected)|"
        r"(?:originally|first) (?:appeared|published) (?:on|in|at)|may not be (?:published|"
        r"reproduced|redistributed)|enable javascript|for more (?:information|news|stories|"
        r"coverage),? (?:visit|go to|see|click))\b|©",
        re.IGNORECASE,
    ),
    (
        *("newsletter", "inbox", "delivered to your", "download ", "follow us", "like us on"),
        *("click here", "tap here", "read more", "read the full", "continue reading"),
        *("keep reading", "more videos", "just watched", "must watch", "advertisement"),
        *("sponsored content", "story continues", "skip ", "recommended for you", "most "),
        *("trending now", "support ", "contributed to this report", "all rights reserved"),
        *("terms of ", "privacy policy", "updated", "corrected", "appeared", "published"),
        *("may not be ", "enable javascript", "for more ", "©"),
    ),
)
# The same kind of line, told by how it opens (matched at the start only).
_PROMO_OPENING = re.compile(
    r"(?:related|recommended|more|see also|also read|read also|watch|listen|video)\s*:"
    # Imperatives that open a line: "Subscribe here to ...", "Watch the video", "Sign up".
    r"|(?:Subscribe|Sign up|Signup|Watch|Listen|Share|Print|Email|Replay|Download|Follow|"
    r"Join|Get|Click|Tap|Support|Donate|Advertise|Please|Log in|Sign in|Leave a comment)\b"
    # Section labels of a page: "Related Articles", "More from Politics", "Most Popular".
    r"|(?:Related|Recommended|More from|Most (?:Read|Popular|Viewed)|Trending|Top Stories|"
    r"Comments?)\b[^.!?]{0,60}$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^By [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:(?: and |, | \| | - | — )[A-Z][\w.'’ -]{0,40})?$"
    r"|^(?:Updated|Published|Posted|Last (?:updated|modified))\b[^.]{0,80}\d"
    r"|^(?:Reporting|Additional reporting|Editing|Writing|Compiled|Produced|Written|"
    r"Interview) by\b"
    r"|^(?:Contact|Follow|Email|Write to) (?:the )?(?:author|reporter|him|her|them|"
    r"[A-Z][\w.'’-]+ [A-Z][\w.'’-]+)\b.{0,80}(?:@|\btwitter\b|\bon X\b|\.com\b)",
    re.IGNORECASE,
)
# The Hill's inline related links: "President Trump Donald John TrumpGOP lawmaker calls ...
# MORE said": a person's full name, its last word glued to a related headline, closed by MORE.
_GLUED_WORD = re.compile(r"\b[A-Z]\w*?[a-z][A-Z][\w'’]*")
_MORE = re.compile(r"\bMORE\b")
# A video player's block: "JUST WATCHED Trump: ... Replay More Videos ... MUST WATCH".
_PLAYER_BLOCK = re.compile(
    r"\bJUST WATCHED\b.{0,400}(?:\bMUST WATCH\b|\bMore Videos\b(?:\s*\.\.\.)?)"
    r"|\bReplay More Videos\b(?:\s*\.\.\.)?(?:\s*MUST WATCH\b)?"
)
# Sentence boundaries for pieces of furniture inside a paragraph (a cheap split: the pieces
# only decide what is set apart, the summarizer splits the rest properly).
_ROUGH_SENTENCE = re.compile(r"(?<=[.!?”\")])\s+(?=[“\"(]?[A-Z])")
# Only paragraphs with one of these cues are split and checked sentence by sentence.
# (Plain substrings: one `in` each is far cheaper than one alternation over them all.)
_CUES = (
    "caption",
    "Photo",
    "photo",
    "Image",
    "image",
    "Getty",
    "/",
    " via ",
    "ubscribe",
    "ign up",
    "ewsletter",
    "nbox",
    "Read more",
    "READ MORE",
    "Click",
    "click",
    "WATCH",
    "Watch",
    "Replay",
    "MORE",
    "©",
    "By ",
    "Updated",
    "ADVERTISEMENT",
    "Advertisement",
    "eporting by",
    "ontributed",
    "Please",
    "Follow",
    "Related",
    "riginally",
    "Copyright",
    "reserved",
    "Share",
    "Download",
    "Listen",
    "Contact",
    "Editing",
    "Published",
    "Posted",
    "Most ",
    "Sign",
    "Log in",
    "Comment",
)


@dataclass(frozen=True)
class Boilerplate:
    """The rules that set furniture apart: the built-in ones plus the user's patterns."""

    patterns: tuple[re.Pattern[str], ...] = ()

    def kind_of(self, text: str) -> str | None:
        """What kind of page furniture a paragraph or sentence is, or None for story text."""
        return furniture_kind(text, self.patterns)

    def clean(
        self, title: str, paragraphs: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[SetApart, ...]]:
        """The article's paragraphs without furniture, and the furniture, where it stood."""
        kept: list[str] = []
        aside: list[SetApart] = []
        for paragraph in paragraphs:
            text, removed = self._clean_paragraph(paragraph)
            if not kept and text:
                text, headline = strip_repeated_headline(title, text)
                if headline:
                    removed.insert(0, (HEADLINE, headline, False))
            at = len(kept)
            # A piece that followed the story text (a trailing credit) is shown after it.
            aside.extend(
                SetApart(at + (after and bool(text)), kind, piece) for kind, piece, after in removed
            )
            if text:
                kept.append(text)
        return tuple(kept), tuple(aside)

    def _clean_paragraph(self, paragraph: str) -> tuple[str, list[tuple[str, str, bool]]]:
        """The paragraph's story text, and each piece of furniture taken out of it with whether
        it came after story text."""
        removed: list[tuple[str, str, bool]] = []
        text = paragraph
        # Cheap substring checks first: the patterns run on every paragraph of every build.
        blocks = (
            _PLAYER_BLOCK.finditer(paragraph)
            if "WATCH" in paragraph or "Videos" in paragraph
            else ()
        )
        for block in blocks:
            removed.append((PROMO, block.group().strip(), block.start() > 0))
        if removed:
            text = " ".join(_PLAYER_BLOCK.sub(" ", text).split())
        text, related = remove_related_links(text)
        removed.extend((RELATED, piece, False) for piece in related)
        # Most paragraphs have no cue at all: they skip the sentence-by-sentence check.
        if not self.patterns and len(text) > 80 and not any(cue in text for cue in _CUES):
            return text, removed
        credit = _TRAILING_CREDIT.search(text) if text.endswith(")") else None
        trailing = None
        if credit and text[: credit.start()].strip():
            trailing = (CREDIT, credit.group().strip(), True)
            text = text[: credit.start()].rstrip()
        story: list[str] = []
        for piece in _ROUGH_SENTENCE.split(text):
            for part in _link_label_lead(piece):
                kind = self.kind_of(part)
                if kind is None:
                    story.append(part)
                else:
                    removed.append((kind, part, bool(story)))
        if trailing is not None:
            removed.append(trailing)
        return " ".join(story), removed


# Where a caption widget's credit ends: "... toggle caption Mark Kauzlarich/Bloomberg via Getty
# Images President Trump said ..." runs the caption into the story without a full stop.
_CREDIT_END = re.compile(
    r"(?:\bGetty Images|/ ?(?:AP|AFP|Reuters|EPA|Bloomberg|Pool|Handout)\b|\bAP Photo\b)\)?"
)


# "READ MORE: Fatah and Hamas to form unity government There was no immediate claim ...": a
# related link's label and headline run into the next sentence.
_LINK_LABEL = re.compile(
    r"^(?:READ MORE|Read more|READ ALSO|Read also|ALSO READ|Also read|RELATED|Related|"
    r"SEE ALSO|See also|MORE|WATCH|Watch|LISTEN|Listen)\s*:-?\s*"
)
# Where the next sentence starts: a capitalised word after a lowercase one (not after a
# preposition, where names stand: "sanctions on Iran"), or an opening quote.
_NEXT_SENTENCE = re.compile(r"(?<=[a-z'’]) (?=[“\"]?[A-Z])")
_PREPOSITIONS = frozenset(
    [
        "in",
        "on",
        "of",
        "for",
        "to",
        "with",
        "from",
        "at",
        "by",
        "over",
        "against",
        "into",
        "about",
        "near",
    ]
)
_SENTENCE_STARTERS = frozenset(
    [
        "The",
        "A",
        "An",
        "There",
        "In",
        "On",
        "At",
        "He",
        "She",
        "It",
        "They",
        "We",
        "This",
        "That",
        "These",
        "Those",
        "But",
        "And",
        "Some",
        "Many",
        "Most",
        "According",
        "After",
        "Before",
        "When",
        "While",
        "Since",
        "As",
        "Last",
        "Residents",
        "Officials",
        "Police",
    ]
)


def _link_label_lead(piece: str) -> list[str]:
    """A related link's label and headline, split from the sentence glued after them."""
    label = _LINK_LABEL.match(piece)
    if label is None:
        return _caption_lead(piece)
    cuts = []
    for gap in _NEXT_SENTENCE.finditer(piece, label.end()):
        before = piece[label.end() : gap.start()].split()
        after = piece[gap.end() :]
        if len(before) < 3 or before[-1].lower() in _PREPOSITIONS or len(after.split()) < 6:
            continue
        cuts.append((after.split()[0].strip('“"') in _SENTENCE_STARTERS, -gap.start(), gap))
    if not cuts:
        return [piece]
    # A word that usually starts a sentence marks the cut best; else the first possible cut.
    gap = max(cuts, key=lambda cut: (cut[0], cut[1]))[2]
    return [piece[: gap.start()].strip(), *_caption_lead(piece[gap.end() :].strip())]


def _caption_lead(piece: str) -> list[str]:
    """A sentence that opens with a caption widget, split where the widget's credit ends."""
    if not _CAPTION_LABEL.match(piece) and not _CAPTION_OPENING.match(piece):
        return [piece]
    ends = [m.end() for m in _CREDIT_END.finditer(piece, 0, 400)]
    if not ends or len(piece[ends[-1] :].split()) < 6:
        return [piece]
    return [piece[: ends[-1]].strip(), piece[ends[-1] :].strip()]


def furniture_kind(text: str, patterns: Sequence[re.Pattern[str]] = ()) -> str | None:
    """The kind of page furniture a piece of text is (see the module docstring), or None."""
    text = text.strip()
    if not text:
        return None
    for pattern in patterns:
        if pattern.search(text):
            return CONFIGURED
    words = len(text.split())
    if words <= _CAPTION_WORDS and (
        _CAPTION_OPENING.search(text) or _CAPTION_LABEL_SEEN.search(text)
    ):
        return CAPTION
    if _TRAILING_CREDIT.fullmatch(" " + text):
        return CREDIT
    # A credit line is a label, not a sentence: no full stop at its end, or only a few words.
    label_like = words <= 8 or not text.endswith((".", "!", "?"))
    if label_like and words <= _CREDIT_WORDS and _CREDIT_LINE.search(text):
        return CREDIT
    if words <= 12 and _BYLINE.search(text):
        return BYLINE
    if words <= _SHORT_WORDS and (_PROMO_OPENING.match(text) or _PROMO_ANYWHERE.search(text)):
        return PROMO
    if words <= 8 and len(text) <= 80 and not text.endswith(".") and in_capitals(text):
        return PROMO
    return None


def in_capitals(text: str) -> bool:
    """A line in capitals ("ADVERTISEMENT", "JUST WATCHED", "POLITICO PRO"): a page label.
    Scripts without case (Chinese, Arabic) never are."""
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper >= 2 and upper == len(letters)


def remove_related_links(text: str) -> tuple[str, list[str]]:
    """Take out related-link blocks glued into a sentence; return the text and the blocks.

    "President Trump Donald John TrumpGOP lawmaker calls ... MORE said Wednesday" becomes
    "President Trump said Wednesday": the block runs from the full name (which repeats a
    surname said just before it) to the MORE that closes the links.
    """
    removed: list[str] = []
    if "MORE" not in text:  # every block ends with it
        return text, removed
    search_from = 0
    while True:
        glued = _GLUED_WORD.search(text, search_from)
        if glued is None:
            return text, removed
        search_from = glued.end()
        closer = _MORE.search(text, glued.end(), glued.end() + 400)
        if closer is None or len(text[glued.start() : closer.start()].split()) > 60:
            continue
        before = list(re.finditer(r"\S+", text[: glued.start()]))[-6:]
        mentioned = {w.group().strip("(),.'’"): w.end() for w in before}
        token = glued.group()
        # The surname is the part of the glued word said just before ("Trump" in TrumpGOP,
        # "McConnell" in McConnellTrump): the block starts right after that mention.
        start = None
        for at in range(len(token) - 1, 1, -1):
            if token[at].isupper() and token[at - 1].islower() and token[:at] in mentioned:
                start = mentioned[token[:at]]
                break
        if start is None:
            continue
        removed.append(text[start : closer.end()].strip())
        text = (text[:start].rstrip() + " " + text[closer.end() :].lstrip()).strip()
        search_from = start


def strip_repeated_headline(title: str, paragraph: str) -> tuple[str, str]:
    """A first paragraph that starts with the headline (scraped with it), without it."""
    title_words = _words(title)
    if len(title_words) < 3:
        return paragraph, ""
    matches = list(re.finditer(r"\S+", paragraph))
    if len(matches) <= len(title_words):
        return paragraph, ""
    if [_word(m.group()) for m in matches[: len(title_words)]] != title_words:
        return paragraph, ""
    cut = matches[len(title_words) - 1].end()
    return paragraph[cut:].strip(), paragraph[:cut].strip()


def _words(text: str) -> list[str]:
    return [w for w in (_word(piece) for piece in text.split()) if w]


def _word(piece: str) -> str:
    return re.sub(r"[^\w]", "", piece.casefold())


# -- Sentences that read alone ----------------------------------------------------------------

# A sentence that opens by pointing back at the one before it: a pronoun, a demonstrative or a
# connective. ("This week ..." and "That day"-style time phrases stand alone.)
_POINTS_BACK = re.compile(
    r"^[“\"‘']?(?:"
    r"(?:He|She|It|They|Them|His|Her|Its|Their|Theirs|Those|These|Such|Neither|"
    r"It's|It’s|That's|That’s|There's|There’s)\b(?!-)"
    r"|(?:This|That)\b(?! (?:week|weekend|month|year|morning|afternoon|evening|summer|spring|"
    r"fall|autumn|winter|season|is why)\b)"
    r"|(?:But|And|Or|Yet|Still|However|Meanwhile|Also|Instead|Moreover|Furthermore|Besides|"
    r"Nevertheless|Nonetheless|Thus|Therefore|Hence|Otherwise|Likewise|Similarly|Indeed|"
    r"Again|Additionally|Consequently|Accordingly|Regardless|Nor|Then|Now|Separately|"
    r"Elsewhere|Afterwards?|Previously)\b(?!-)"
    r"|(?:Earlier|Later|Still|Instead|Even so)(?=,)"
    r"|(?:In addition|As a result|On the other hand|In turn|By contrast|In contrast|Even so|"
    r"At the same time|For (?:his|her|their|its) part|In response(?! to)|The same|The latter|"
    r"The former|The two|The pair|Another|"
    # A definite noun that names what the sentence before said or did: "The comment comes ...".
    r"The (?:comments?|remarks?|moves?|decisions?|statements?|announcements?|news|development|"
    r"revelations?|incident|episode|exchange|shift|change|step|tweets?|claims?|accusations?|"
    r"allegations?|criticism|warning|threat|request|call|offer|response|reaction))\b"
    r"|(?:[\w'’.-]+ ){1,3}also\b"
    r")"
)


# A sentence ends in a full stop, a question or exclamation mark, maybe inside quotes or brackets.
_ENDS_SENTENCE = re.compile(r"[.!?…][”’\"')\]]*\s*$")


def ends_sentence(text: str) -> bool:
    """Whether text ends as a sentence does (a subhead or a label does not)."""
    return bool(_ENDS_SENTENCE.search(text))


def points_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it to be understood."""
    return bool(_POINTS_BACK.match(sentence.strip()))


# A headline run into the first sentence: headline case, with two or more small words
# capitalised mid-sentence ("How The Iran Letter Is Playing In The 2016 Campaign Forty-seven").
# "The" and "A" are left out: names carry them ("The New York Times", "Plan A").
_SMALL_WORDS = frozenset(
    [
        "In",
        "On",
        "Of",
        "To",
        "For",
        "And",
        "Is",
        "Are",
        "Was",
        "Be",
        "At",
        "By",
        "With",
        "From",
        "As",
        "Its",
        "Into",
        "Over",
        "After",
        "Will",
        "Has",
    ]
)


def glued_headline(sentence: str) -> bool:
    """Whether a sentence starts with a headline in headline case glued to it."""
    words = sentence.split()[:14]
    capitalised_small = sum(1 for w in words[1:] if w in _SMALL_WORDS)
    return capitalised_small >= 2
