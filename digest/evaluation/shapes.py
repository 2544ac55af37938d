"""Defects a reader sees in a summary sentence, found by shape, independently of the cleaner.

`digest eval readability` must not grade the cleaner with the cleaner's own rules: a defect the
readers miss would pass unseen. So this module has its own signals and shares no pattern with
`digest.sources.cleanup`:

- a **dangling opening**: the first word is a personal or demonstrative pronoun, or a connective,
  of English, German, French, Spanish, Italian, Portuguese or Dutch (closed word classes, listed
  by language below), unless a time phrase follows ("This week", "Cette année");
- **captions and credits**: a caption widget's label, a photo agency credit, "Photo:" labels in
  several languages;
- **forms and self-promotion**: a sentence that addresses the reader (second person or an
  imperative) about the page itself (a form, a newsletter, the app, a subscription);
- **related links**: link labels ("Read more", "Lesen Sie auch", "Lire aussi", "Leer más") and
  link text glued into a word ("TrumpGOP lawmaker");
- **glued headlines**: the headline's words at the start of a longer sentence, or a run of
  capitalised words no sentence has;
- **sign-up and video text**: player labels, sign-up lines, advertisement labels.

The patterns are shapes (word classes, punctuation, capitalisation), not one site's strings.
"""

from __future__ import annotations

import re

from digest.analysis.languages import word_set

DANGLING = "dangling opening"
CAPTION = "caption or credit"
FORM = "form or self-promotion"
RELATED_LINK = "related link"
GLUED = "glued headline"
PLAYER = "sign-up, video or advertisement text"


# Pronouns, demonstratives and connectives that open a sentence leaning on the one before.
# Words that are also articles or common verbs in one of the other languages ("Die", "Es",
# "Son", "Su") are left out, so the check needs no language detection.
_OPENERS: dict[str, frozenset[str]] = {
    "english": word_set(
        "he she it they them his her its their those these this that such but and yet however ",
        "meanwhile moreover furthermore nevertheless nonetheless therefore thus hence instead ",
        "besides likewise similarly additionally consequently accordingly nor",
    ),
    "german": word_set(
        "er sie ihr ihre ihm ihn ihnen dies diese dieser dieses dort daher deshalb deswegen ",
        "dennoch trotzdem jedoch allerdings außerdem zudem ebenfalls damit darum dabei dazu ",
        "darauf davon hierzu sein seine seiner aber also",
    ),
    "french": word_set(
        "il elle ils elles cela ceci celui celle ceux celles ce cette ces mais cependant ",
        "pourtant toutefois néanmoins ainsi donc alors lui leur leurs sa ses",
    ),
    "spanish": word_set(
        "él ella ellos ellas esto eso este esta estas estos ese esa esos esas aquel aquella ",
        "pero además asimismo también entonces así",
    ),
    "italian": word_set(
        "egli lui lei loro questo questa questi quello quella", "però tuttavia inoltre"
    ),
    "portuguese": word_set("ele ela eles elas isso isto essa esse porém contudo entretanto"),
    "dutch": word_set("hij zij dit deze dat maar echter bovendien daarom toch"),
}
_OPENING_WORDS = frozenset(w for words in _OPENERS.values() for w in words)
# Connectives of more than one word ("Sin embargo": "Sin duda" stands alone).
_PHRASES = ("sin embargo", "aun así", "por eso", "por ello", "de ahí", "en effet", "par ailleurs")
# "It is unclear ...", "Il y a deux ans", "Il faut ...": no antecedent needed.
_IMPERSONAL = frozenset(("y", "faut", "s'agit", "s’agit", "seems", "appears"))
_IMPERSONAL_AFTER_IS = word_set(
    "unclear clear likely unlikely possible impossible expected understood believed thought",
    "hoped feared estimated important necessary time difficult hard easy",
)
# A time phrase after a demonstrative stands alone: "This week", "Diese Woche", "Cette année".
_TIME_WORDS = word_set(
    "week weekend month year morning afternoon evening night summer spring autumn fall",
    "winter season time",
    "woche wochenende monat jahr morgen abend sommer frühjahr herbst winter saison",
    "semaine mois année an matin soir été printemps automne hiver saison fois",
    "semana mes año mañana tarde noche verano primavera otoño invierno temporada vez",
    "settimana mese anno estate inverno semana ano verão inverno week maand jaar",
    "monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch",
    "donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche",
    "lunes martes miércoles jueves viernes sábado domingo",
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_CAPTION = re.compile(
    r"\b(?:hide|show|toggle) caption\b|\benlarge this image\b|\bimage (?:source|caption)\b"
    r"|^(?:photo|picture|image|foto|bild|imagen|illustration)\s?:"
    r"|\((?:photo|picture|foto|bild|image)s?\b[^)]{0,60}\)|/(?:getty|afp|reuters|ap|epa|dpa)\b"
    r"|\bgetty images\b|\bphoto(?:graph)?s? by\b|\b(?:photo|foto|bild|image) ?(?:credit|©)"
    r"|©",
    re.IGNORECASE,
)
# The reader addressed (you, your, us) about the page itself.
# Words of the second person only ("Sie" and "su" also mean she, they, his: left out).
_ADDRESS = re.compile(
    r"\b(?:you|your|yours|du|dein\w*|euch|vous|votre|vos|tu|ton|ta|tes|usted|ustedes|tú|tus)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|«[^»]*»|„[^“”]*[“”]")
_PAGE_THINGS = re.compile(
    r"\b(?:our|your|notre|votre|nos|vos|unser\w*|nuestr\w+|vuestr\w+)\s+(?:[\w-]+\s+)?"
    r"(?:form|forms|formular|formulaire|formulario|newsletters?|inbox|app|apps|podcast|"
    r"subscri\w+|abonn\w+|suscri\w+|account|konto|compte|cuenta|sign(?:ing)? up|log ?in|"
    r"register|anmelden|inscri\w+|registr\w+|letters? to the editor|leserbrief\w*|"
    r"courrier des lecteurs|cartas? al director|comments? section|kommentar\w*|"
    r"commentaires?|comentarios?|e-?mail|website|webseite|site|sitio|page|seite|coverage|"
    r"cobertura|couverture|berichterstattung)\b"
    r"(?!\s+(?:of|de)\b)"
    # "via this form", "dieses Formular", "ce formulaire": a form is only ever the page's own.
    r"|\b(?:this|the following|dieses|ce|este)\s+(?:form|formular|formulaire|formulario)\b"
    r"(?!\s+(?:of|de)\b)",
    re.IGNORECASE,
)
# An imperative addressed to the reader opens the sentence: "Submit ...", "Melden Sie sich".
_IMPERATIVE = re.compile(
    r"^(?:submit|send|share|write|tell|email|e-mail|sign|subscribe|register|click|tap|follow|"
    r"download|join|get|read|watch|listen|support|donate|contact|schreiben|senden|teilen|"
    r"melden|abonnieren|folgen|lesen|envoyez|partagez|abonnez|inscrivez|suivez|lisez|"
    r"envía|envíe|comparte|suscríbete|síguenos|lee|escríbenos)\b",
    re.IGNORECASE,
)
_RELATED = re.compile(
    r"^(?:more|related|watch|also)\s*[:|»>]"
    r"|^(?:read more|read also|see also|also read|lesen sie (?:auch|mehr)|"
    r"mehr zum thema|auch interessant|lire aussi|à lire aussi|a lire aussi|voir aussi|"
    r"leer más|lee también|ver también|más información|leggi anche|leia também)\b\s*[:|»>-]?",
    re.IGNORECASE,
)
# Link text or a byline run into the story: a name glued to the next word ("TrumpGOP" after
# "Trump", "by Jane RoeThe minister ..."). Brand names ("WordPress") are not repeated apart.
_GLUED_WORD = re.compile(r"\b([A-Z][a-z]{2,})([A-Z][A-Za-z]+)\b")
_GLUED_BYLINE = re.compile(r"\bby [A-Z][a-z]+ [A-Z][a-z]+[A-Z][a-z]+\b")
_PLAYER = re.compile(
    r"\b(?:just watched|replay more|more videos|now playing|must watch|autoplay|play video|"
    r"video player|sign up for|melden sie sich|inscrivez-vous|suscríbete)\b"
    r"|^(?:advertisement|anzeige|publicité|publicidad|werbung)\b(?!\s+[a-zäöüéèáíóú])"
    r"|\b\d{1,2}:\d{2}\b.*\b(?:video|clip)\b|^(?:video|watch|listen|audio)\s?[:|]",
    re.IGNORECASE,
)


def opens_dangling(sentence: str) -> bool:
    """Whether a sentence opens with a pronoun, demonstrative or connective (several languages)."""
    words = [w.casefold() for w in _WORD.findall(sentence[:80])]
    if not words:
        return False
    if " ".join(words[:3]).startswith(_PHRASES):
        return True
    if words[0] not in _OPENING_WORDS:
        return False
    if len(words) < 2:
        return True
    if words[0] in ("it", "il") and words[1] in _IMPERSONAL:
        return False
    if words[0] == "il" and not _french_verb(words[1]):
        return False  # Italian's article ("Il governo"), not French's pronoun ("Il a dit")
    if words[0] in ("those", "these") and (words[1] == "who" or words[1].endswith("ing")):
        return False  # "Those who ...", "Those wondering ...": people in general
    if (
        words[0] == "it"
        and words[1] in ("is", "was")
        and words[2:3]
        and (words[2] in _IMPERSONAL_AFTER_IS or words[2] == "not")
    ):
        return False
    return words[1] not in _TIME_WORDS


# What follows French "il": a verb (a closed list of auxiliaries and common forms, or a tense's
# ending) or a clitic pronoun.
_FRENCH_AFTER_IL = word_set(
    "a avait aura aurait est était sera serait fait faut y n ne se s l le la les lui leur en me te",
    "nous vous peut pouvait doit devait va allait vient dit",
)


def _french_verb(word: str) -> bool:
    return word in _FRENCH_AFTER_IL or word.endswith(("ait", "era", "rait", "ent"))


def _glued_link(text: str) -> bool:
    if _GLUED_BYLINE.search(text):
        return True
    for match in _GLUED_WORD.finditer(text):
        if re.search(rf"\b{match.group(1)}\b", text[: match.start()]):
            return True
    return False


def glued_to_headline(sentence: str, title: str) -> bool:
    """The headline's words at the start of a longer sentence, or eight capitalised words in a
    row at its start (headline case run into the story)."""
    words = sentence.split()
    heading = title.split()
    if len(heading) >= 4 and len(words) > len(heading) + 3:
        norm = [w.strip(".,:;!?\"'“”‘’").casefold() for w in words[: len(heading)]]
        if norm == [w.strip(".,:;!?\"'“”‘’").casefold() for w in heading]:
            return True
    capitalised = 0
    for word in words[:12]:
        if not word[:1].isupper():
            break
        capitalised += 1
        if word.endswith((",", ";")):
            break  # a list of names, not a headline
    return capitalised >= 8


def shape_defects(sentence: str, title: str = "") -> list[str]:
    """The kinds of defect a sentence shows by its shape (it may show none)."""
    text = " ".join(sentence.split())
    kinds = []
    if _CAPTION.search(text):
        kinds.append(CAPTION)
    unquoted = _QUOTED.sub(" ", text)
    if _PAGE_THINGS.search(unquoted) or (
        _IMPERATIVE.search(unquoted) and _ADDRESS.search(unquoted)
    ):
        kinds.append(FORM)
    if _RELATED.search(text) or _glued_link(text):
        kinds.append(RELATED_LINK)
    if glued_to_headline(text, title):
        kinds.append(GLUED)
    if _PLAYER.search(text):
        kinds.append(PLAYER)
    return kinds
