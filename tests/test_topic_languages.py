"""Topic keywords in other languages than English: each article's words and the keywords are
stemmed by the article's language, and Arabic-script letter forms are one.

Every article here was written for these tests, shaped like a news agency's copy.
"""

from __future__ import annotations

from datetime import datetime, timezone

from digest.analysis.analyzer import AnalysisSettings, Analyzer, split_article
from digest.analysis.summary_base import Budget
from digest.analysis.topics import Keyword, Tokens, TopicMatcher, topic_language
from digest.model import Article, Topic

# One topic, its keywords in three languages, as a reader of all three would configure it.
VENEZUELA = Topic(
    name="Venezuela",
    slug="venezuela",
    keywords=("Venezuela", "venezolano", "Caracas", "ونزوئلا"),
)
KERMAN = Topic(name="Kerman earthquake", slug="kerman", keywords=("کرمان", "زلزله"))

# Only inflected forms of "venezolano" (plural, feminine) name the country's people.
SPANISH = (
    "Miles de venezolanos cruzan cada día la frontera con Colombia en busca de alimentos y "
    "medicinas, según datos de la agencia de la ONU para los refugiados.",
    "Las familias venezolanas que llegan a Cúcuta duermen en la calle o en albergues "
    "improvisados por la iglesia, mientras esperan un autobús hacia Bogotá o Lima.",
    "«No teníamos qué comer», contó una maestra venezolana de 34 años que viajó con sus dos "
    "hijos. Las autoridades colombianas calculan que el flujo se duplicó en un año.",
    "Los gobiernos de la región se reunirán el próximo mes en Quito para coordinar la acogida "
    "de los migrantes venezolanos.",
)

# A Persian agency report as older sites write it: Arabic yeh and kaf (ي, ك), a word stretched
# with tatweel (زلـــزله), a vowel sign (كِرمان) and the zero-width non-joiner (می‌گويند).
PERSIAN_ARABIC_FORMS = (
    "زلزله‌اي به بزرگي ۵.۹ ريشتر بامداد امروز جنوب استان كرمان را لرزاند.",
    "به گفته مسئولان هلال احمر استان كرمان، دست كم ۲۰ روستا آسيب ديده است و تيم‌هاي امداد "
    "به منطقه اعزام شده‌اند.",
    "اهالي مي‌گويند زلـــزله چند ثانيه طول كشيد و بسياري از خانه‌هاي خشتي فرو ريخت.",
    "استاندار كِرمان گفت چادر و آب آشاميدني براي خانواده‌هاي آسيب‌ديده ارسال شده است.",
)


def _article(paragraphs: tuple[str, ...], title: str, language: str) -> Article:
    return Article(
        source_path=f"{language}.md",
        slug=f"article-{language}",
        title=title,
        date=datetime(2024, 5, 2, tzinfo=timezone.utc),
        paragraphs=paragraphs,
        language=language,
    )


def _topics_of(article: Article, topics: tuple[Topic, ...]) -> list[str]:
    settings = AnalysisSettings(
        summarizer="lead",
        budget=Budget(sentences=2),
        topic_budget=Budget(sentences=1),
        topics=topics,
        topic_threshold=0.1,
    )
    return [m.topic for m in Analyzer(settings).analyze(article).topics]


def test_a_spanish_article_finds_a_keyword_by_its_inflected_forms() -> None:
    article = _article(SPANISH, "Crece el éxodo en la frontera", "es")
    assert _topics_of(article, (VENEZUELA,)) == ["venezuela"]
    analysis = TopicMatcher((VENEZUELA,)).analyse(
        article.paragraphs, split_article(article), (article.title,), "es"
    )
    words = {w for p in analysis.paragraphs for _, found in p.evidence for w in found}
    assert {"venezolanos", "venezolanas", "venezolana"} <= words


def test_english_stems_miss_what_spanish_stems_find() -> None:
    # The English stemmer leaves "venezolanas" and "venezolano" apart: the Spanish one is needed.
    english = Keyword.parse("venezolano", "en")
    spanish = Keyword.parse("venezolano", "es")
    assert english is not None and spanish is not None
    text = "Las familias venezolanas esperan."
    assert not english.find(Tokens(text, "en"), set())
    assert spanish.find(Tokens(text, "es"), set())


def test_a_keyword_is_compiled_for_each_language_it_meets() -> None:
    matcher = TopicMatcher((VENEZUELA,))
    spanish, english = matcher.compiled("es")[0], matcher.compiled("english")[0]
    assert "venezolan" in spanish.stems and "venezolan" not in english.stems
    assert matcher.compiled("spanish") is matcher.compiled("es")


def test_a_persian_article_in_arabic_letter_forms_finds_persian_keywords() -> None:
    article = _article(PERSIAN_ARABIC_FORMS, "زلزله در جنوب كرمان", "fa")
    assert _topics_of(article, (KERMAN,)) == ["kerman"]
    analysis = TopicMatcher((KERMAN,)).analyse(
        article.paragraphs, split_article(article), (article.title,), "fa"
    )
    words = [w for p in analysis.paragraphs for _, found in p.evidence for w in found]
    # Shown as the article writes them, found though the keywords are written otherwise.
    assert "كرمان" in words and "كِرمان" in words and "زلـــزله" in words


def test_arabic_script_forms_are_one_in_topic_tokens() -> None:
    persian = Tokens("مُحَمَّد كرمانـي می‌گويند", "fa")
    assert persian.words[0] == "مُحَمَّد"  # a vowel sign does not cut the word
    assert persian.stems[:2] == Tokens("محمد کرمانی", "fa").stems
    # The zero-width non-joiner parts words as a space does.
    assert persian.words[2:] == ["می", "گويند"]
    assert persian.stems[2:] == Tokens("می گویند", "fa").stems
    # Arabic is stemmed in its own letters: Persian forms of a keyword find Arabic words.
    assert Tokens("كتب الرئيس", "ar").stems == Tokens("کتب الرئیس", "ar").stems


def test_french_elision_and_other_languages_keep_their_stems() -> None:
    keyword = Keyword.parse("Iran", "fr")
    assert keyword is not None
    assert keyword.find(Tokens("Le président d’Iran arrive à Paris.", "fr"), set())
    # English keeps its own stems and its possessive rule.
    assert Tokens("Maduro’s allies", "en").stems == ["maduro", "alli"]


def test_a_language_without_a_stemmer_is_matched_word_for_word() -> None:
    assert [topic_language(x) for x in ("", "english", "en-GB", "es", "sw")] == [
        "en",
        "en",
        "en",
        "es",
        "und",
    ]
    # Not by English stems: a Swahili page quoting "elections" keeps the word as written.
    assert Tokens("Tume ya elections Nairobi", "sw").stems == ["tume", "ya", "elections", "nairobi"]
    assert Tokens("elections", "en").stems == ["elect"]
