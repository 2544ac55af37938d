"""What the analysis needs per language: sentences, stop words, stems, openings that point back.

Every helper takes an ISO 639-1 code ("de") or the analysis name ("german"); English keeps
the tokenizer's nupunkt path and the rules in digest/sources/cleanup.py unchanged.

- Sentences: sentencex (Wikimedia's segmenter, ~300 languages, offline, MIT), then a pass
  that joins what it cut after abbreviations and ordinals it does not know ("ws.", "np.",
  "8." before a month) and before a lowercase word, which never starts a sentence in a cased
  script.
- Stop words: sumy's lists where sumy has one; for Persian, which sumy lacks, the
  hand-written list of function words in PERSIAN_STOP_WORDS below.
- Stems: the Snowball stemmer of the language (Persian and Arabic included), else the word.
- Pointing back: per language, pronouns, demonstratives and connectives that open a sentence
  leaning on the one before ("Damit können sie …", "C'est le lien …", "Sin embargo, …").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from digest.analysis.stemming import stemmer as snowball_stemmer
from digest.language import LANGUAGE_NAMES, language_tag

_CODES = {name: code for code, name in LANGUAGE_NAMES.items()}


def known_code(language: str) -> str | None:
    """The ISO code for a code or an analysis name ("german" -> "de"), None if not listed."""
    if language in _CODES:
        return _CODES[language]
    code = language_tag(language)
    return code if code in LANGUAGE_NAMES else None


def language_code(language: str) -> str:
    """The ISO code for a code or an analysis name; "en" (the default analysis) when unknown."""
    return known_code(language) or "en"


def is_english(language: str) -> bool:
    return language_code(language) == "en"


def _words(text: str) -> list[str]:
    """The words of a list written as text, one space apart (easier to read than quotes)."""
    return text.split()


def word_set(*lines: str) -> frozenset[str]:
    """The words of a list written as lines of text, one space apart."""
    return frozenset(" ".join(lines).split())


# -- stop words ---------------------------------------------------------------------------------

# Persian function words, written for this project (sumy ships no Persian list): pronouns,
# prepositions, conjunctions, the copula and auxiliaries, demonstratives, plural and object
# markers written apart, and the report verbs of news copy ("said", "added", "according to").
PERSIAN_STOP_WORDS = frozenset(
    _words(
        """
    و در به از که را با این آن برای تا بر یا هم نیز اما ولی اگر چون چه چرا کجا کی چگونه
    است هست نیست بود بودند باشد باشند هستند شد شده شود شوند شدن شدند می نمی خواهد خواهند
    کرد کرده کند کنند کردن کردند کنیم کرده‌اند کرده است داد داده دهد دارد دارند داشت داشته
    گفت گفته گوید افزود اظهار کرد عنوان بیان اشاره
    من تو او ما شما آنها ایشان وی خود خویش همین همان چنین چنان آنجا اینجا
    های ها ای یک دو هر همه هیچ برخی بعضی دیگر دیگری بسیار خیلی بیش بیشتر کم کمتر
    پس پیش بعد قبل زیرا بنابراین همچنین سپس حتی فقط تنها البته بلکه درباره طی طبق
    روی زیر میان بین نزد سوی پی جز مگر بی بدون همراه علیه مورد توسط وسیله
    اینکه آنکه چنانکه وقتی هنگامی زمانی جایی کسی چیزی حال حالی سال امروز دیروز
    باید نباید شاید بتواند توان توانند قرار انجام صورت ادامه اعلام گیرد گرفت گرفته نمود نماید
    بوده نبود نبوده هستیم دهند دادند گردد گردید شوید کنید داشتن بودن شدن کردن
    یابد یافت یافته رسید رسیده آمد آمده آید دیگران چند چندین کدام
    هنوز همواره هرگز اکنون اینک حالا همچنان ضمن جهت لحاظ دلیل نظر سوی خصوص درخصوص راستا
    گزارش خبرگزاری فارس به‌گزارش خبرنگار
    """
    )
)


def _normalize_persian(word: str) -> str:
    """One spelling for Persian words: Arabic ي/ك as Persian ی/ک, no zero-width non-joiner."""
    return word.replace("ي", "ی").replace("ك", "ک").replace("\u200c", "")


def _persian_spellings(word: str) -> set[str]:
    """A Persian word as older pages write it too (Arabic ي and ك)."""
    plain = _normalize_persian(word)
    return {word, plain, plain.replace("ی", "ي").replace("ک", "ك")}


# Function words and news verbs that sumy's lists lack ("del", "según", "cette", "wurde"):
# written for this project, added to sumy's (English stays sumy's list alone).
_MORE_STOP_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset(
        _words(
            "del al más han ha según este estos hasta durante dijo dice afirmó son es fue será "
            "año años día días ayer hoy señor sra sr tras ante cuando aunque mientras"
        )
    ),
    "de": frozenset(
        _words(
            "hat hatte wurde wurden sagte sagt seit sei seien worden habe jahr jahre jahren "
            "tag tage heute gestern laut rund etwa mehr"
        )
    ),
    "fr": frozenset(
        _words(
            "une plus ont aux cette selon entre après dit déclaré été être fait an ans année "
            "jour jours hier aujourd'hui aussi lors très"
        )
    ),
    "pt": frozenset(_words("não são foi disse segundo ano anos dia dias")),
    "pl": frozenset(_words("ale też który która które roku lat dzień powiedział według")),
}


@cache
def stop_words(language: str) -> frozenset[str]:
    """Lowercase stop words of a language: sumy's list, the Persian one here, else none."""
    code = known_code(language)
    if code == "fa":
        return frozenset(s for w in PERSIAN_STOP_WORDS for s in _persian_spellings(w))
    if code is None:
        return frozenset()
    name = LANGUAGE_NAMES[code]
    path = resources.files("sumy") / "data" / "stopwords" / f"{name}.txt"
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return frozenset()
    listed = frozenset(w.strip().lower() for w in text.splitlines() if w.strip())
    return listed | _MORE_STOP_WORDS.get(code, frozenset())


def all_stop_words() -> frozenset[str]:
    """The stop words of every language here: for names that must be no stop word anywhere
    (topic suggestions drawn from articles in several languages)."""
    found: set[str] = set()
    for code in LANGUAGE_NAMES:
        found |= stop_words(code)
    return frozenset(found)


# -- stems --------------------------------------------------------------------------------------


@cache
def stemmer(language: str) -> Callable[[str], str]:
    """A stem function for a language: Snowball's where it has one, else the lowercased word
    (Persian and Arabic words are spelt one way first)."""
    import snowballstemmer

    name = LANGUAGE_NAMES[language_code(language)]
    if name not in snowballstemmer.algorithms():
        return str.lower
    stem = snowball_stemmer(name)
    if name == "persian":
        return lambda word: stem(_normalize_persian(word))
    return stem


# -- sentences ----------------------------------------------------------------------------------

# Abbreviations sentencex may take for a sentence end, per language (lowercase, no final dot).
_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "de": frozenset(
        _words(
            "z.b d.h u.a u.ä usw bzw ca evtl ggf inkl vgl s.o s.u sog z.t z.z zzt dr prof nr bzw "
            "mio mrd hr fr st str abs art bd jh jhd v.chr n.chr f.a.s f.a.z u.s.a gen o.ä"
        )
    ),
    "pl": frozenset(
        _words(
            "ws np tzw tj m.in itd itp dr prof mgr inż ul al pl gen płk min wg godz r tys mln mld "
            "św ok pn zob red"
        )
    ),
    "es": frozenset(
        _words(
            "sr sra srta dr dra lic ing av avda etc ej p.ej pág núm no art cap gral tte cnel "
            "ee.uu uu a.m p.m ud uds dña d sto sta"
        )
    ),
    "fr": frozenset(
        _words("m mm mme mmes mlle dr pr me st ste etc cf av apr j.-c av.j.-c p.ex n° no vol")
    ),
    "it": frozenset(_words("sig sigg dott prof on avv ing ecc es pag art")),
    "pt": frozenset(_words("sr sra dr dra prof etc av pág art nº")),
    "nl": frozenset(_words("dhr mevr dr prof bv nv ca enz bijv o.a m.a.w d.w.z")),
}
# Languages that write ordinals with a full stop ("8. März", "5. maja", "3. oktober").
_ORDINAL_DOT = frozenset({"de", "pl", "cs", "sk", "da", "no", "fi", "hu", "tr", "sl", "hr", "sr"})
_LAST_TOKEN = re.compile(r"(\S+)\.\s*$")
_ORDINAL_END = re.compile(r"(?:^|\s)\d{1,2}\.\s*$")
# What a capitalised word after an ordinal is in languages that capitalise it (German nouns,
# Turkish months): a month or a noun counted by ordinals ("8. März", "19. Jahrhundert").
_ORDINAL_NOUN = re.compile(
    r"^(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
    r"Dezember|Jahrhundert|Jahrestag|Geburtstag|Spieltag|Runde|Mal|Kapitel|Klasse|Auflage|"
    r"Ocak|Şubat|Mart|Nisan|Mayıs|Haziran|Temmuz|Ağustos|Eylül|Ekim|Kasım|Aralık)\b"
)
_INITIAL_END = re.compile(r"(?:^|\s)[A-ZÀ-ÖØ-Þ]\.\s*$")
# The next piece goes on the sentence: it opens in lowercase or with an ordinal's ending.
_CONTINUES = re.compile(r"^[\"“”„«»'‘’(]?(?:[a-zß-öø-ÿą-žа-я]|[ºª])")
# Arabic-script sentence ends glued to the next word in scraped text ("است.این").
_ARABIC_GLUED_END = re.compile(r"([.!؟۔])(?=[\u0600-\u06ff])")


def _joins(piece: str, following: str, code: str) -> bool:
    """Whether sentencex's cut between `piece` and `following` is not a sentence end."""
    if _CONTINUES.match(following):
        return True
    if _INITIAL_END.search(piece):  # "M. Dupont", "J. R. Smith"
        return True
    if code in _ORDINAL_DOT and _ORDINAL_END.search(piece) and _ORDINAL_NOUN.match(following):
        return True
    last = _LAST_TOKEN.search(piece)
    return bool(last and last.group(1).lower().lstrip('(„"“') in _ABBREVIATIONS.get(code, ()))


def split_other(text: str, language: str) -> list[str]:
    """Sentences of one paragraph in a language other than English (see the module doc)."""
    import sentencex

    code = language_code(language)
    text = " ".join(text.split())
    if not text:
        return []
    if code in ("fa", "ar", "ur"):
        text = _ARABIC_GLUED_END.sub(r"\1 ", text)
    merged: list[str] = []
    for piece in (p.strip() for p in sentencex.segment(code, text)):
        if not piece:
            continue
        if merged and _joins(merged[-1], piece, code):
            merged[-1] += ("" if piece[0] in "ºª" else " ") + piece
        else:
            merged.append(piece)
    return merged


# -- sentences that point back ------------------------------------------------------------------

# Per language: a sentence opening with a pronoun, a demonstrative or a connective leans on the
# sentence before it. Time phrases built on a demonstrative ("Diese Woche", "Este año", "Cette
# semaine") stand alone, as in English.
_POINTS_BACK: dict[str, re.Pattern[str]] = {
    "de": re.compile(
        r"^[„“\"‘']?(?:"
        r"(?:Er|Sie|Es|Ihr|Ihre|Ihren|Ihrem|Ihrer|Sein|Seine|Seinen|Seinem|Seiner|Dies|Dieser|"
        r"Jene|Jener|Jenes|Solche|Solch|Derselbe|Dieselbe|Dasselbe|Damit|Dabei|Dazu|Daher|"
        r"Deshalb|Deswegen|Darum|Dadurch|Danach|Davor|Darauf|Dafür|Dagegen|Daraus|Darüber|"
        r"Trotzdem|Dennoch|Außerdem|Zudem|Ferner|Überdies|Aber|Und|Oder|Doch|Jedoch|"
        r"Allerdings|Denn|Sonst|Somit|Folglich|Also|So|Auch|Ebenfalls|Stattdessen|Hingegen|"
        r"Indes|Indessen|Anschließend|Zuvor|Ebenso|Gleichwohl)\b"
        r"|(?:Diese|Dieses|Das|Den|Dem)\b(?! (?:Woche|Wochenende|Monat|Jahr|Jahres|Morgen|Abend|"
        r"Mal|Frühjahr|Sommer|Herbst|Winter)\b)(?= (?:ist|war|sei|wäre|hat|habe|hatte|sind|waren|"
        r"zeigt|bedeutet|heißt|gilt|soll|sagte|sagt)\b)"
        r"|(?:Diese|Dieses|Diesen|Diesem)\b(?! (?:Woche|Wochenende|Monat|Jahr|Jahres|Morgen|"
        r"Abend|Mal|Frühjahr|Sommer|Herbst|Winter|Saison)\b)"
        r")"
    ),
    "fr": re.compile(
        r"^[«“\"‘']?\s?(?:"
        r"(?:Il|Elle|Ils|Elles|Lui|Leur|Leurs|Son|Sa|Ses|Cela|Ceci|Ça|Celui|Celle|Ceux|Celles|"
        r"Mais|Et|Or|Pourtant|Cependant|Toutefois|Néanmoins|Ainsi|Donc|Aussi|Alors|Puis|"
        r"Ensuite|Enfin|Sinon|Certes)\b(?!-)"
        r"|C['’](?:est|était|étaient|en)\b"
        r"|(?:Ce|Cet|Cette|Ces)\b(?! (?:week-end|matin|soir|midi|lundi|mardi|mercredi|jeudi|"
        r"vendredi|samedi|dimanche|mois|semaine|année|an|printemps|été|automne|hiver)\b)"
        r"|(?:De plus|En outre|Par ailleurs|En revanche|Par contre|De son côté|De leur côté|"
        r"En effet|Du coup|Par conséquent|Malgré cela|Pour sa part|Pour leur part)\b"
        r")"
    ),
    "es": re.compile(
        r"^[«“\"‘'¿¡]?(?:"
        r"(?:Él|Ella|Ellos|Ellas|Esto|Eso|Aquello|Su|Sus|Pero|Y|E|O|Sin embargo|Además|"
        r"Asimismo|Así|Entonces|También|Tampoco|Incluso|Luego|Dicho|Dicha|Dichos|Dichas|Tal|"
        r"Tales|Ello|Aun así|No obstante|Por eso|Por ello|Por lo tanto|Por tanto|En cambio|"
        r"Por su parte|Por otra parte|De hecho|Mientras tanto|Igualmente|"
        r"Dijo|Añadió|Agregó|Explicó|Señaló|Indicó|Aseguró|Afirmó|Subrayó|Destacó)\b"
        r"|(?:Este|Esta|Estos|Estas|Ese|Esa|Esos|Esas|Aquel|Aquella)\b(?! (?:lunes|martes|"
        r"miércoles|jueves|viernes|sábado|domingo|fin de semana|mes|semana|año|mañana|tarde|"
        r"noche|verano|invierno|otoño|primavera)\b)"
        r")"
    ),
    "pl": re.compile(
        r"^[„“\"‘']?(?:"
        r"(?:On|Ona|Ono|Oni|One|Jego|Jej|Ich|Ten|Ta|To|Ci|Te|Tego|Tej|Tym|Ale|I|Jednak|"
        r"Ponadto|Także|Również|Dlatego|Zatem|Więc|Natomiast|Tymczasem|Poza tym|Mimo to|"
        r"Oprócz tego|Z kolei)\b"
        r")"
    ),
    "fa": re.compile(
        r"^[«“\"]?(?:"
        r"(?:او|وی|آنها|آن‌ها|ایشان|این|آن|همچنین|اما|ولی|و|بنابراین|سپس|البته|لذا|همین|"
        r"ضمن|چنین|چنان)(?=[\s\u200c،:]|$)"
        r"|(?:از این رو|با این حال|با این وجود|علاوه بر این|در نتیجه|به همین دلیل)"
        r")"
    ),
    "ar": re.compile(
        r"^[«“\"]?(?:"
        r"(?:هو|هي|هم|وهو|وهي|وهم|هذا|هذه|ذلك|تلك|هؤلاء|وهذا|وهذه|لكن|ولكن|لكنه|لكنها|"
        r"وقال|وقالت|وأضاف|وأضافت|وأكد|وأكدت|وأشار|وأشارت|وتابع|وتابعت|وأوضح|وأوضحت|كما|"
        r"لذلك|لذا|أيضا|أيضاً|بدوره|بدورها|وبذلك|وعليه|كذلك)(?=[\s،:]|$)"
        r"|(?:من جهته|من جهتها|من جانبه|من جانبها|في المقابل|مع ذلك|إلا أن|غير أن)"
        r")"
    ),
}


def points_back(sentence: str, language: str = "en") -> bool:
    """Whether a sentence leans on the one before it, by the rules of its language
    (English: digest.sources.cleanup's; a language without rules: never)."""
    code = language_code(language)
    if code == "en":
        from digest.sources.cleanup import points_back as english_points_back

        return english_points_back(sentence)
    rule = _POINTS_BACK.get(code)
    return bool(rule and rule.match(sentence.strip()))
