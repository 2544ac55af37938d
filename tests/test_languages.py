"""Articles in other languages than English: detection, sentences, stop words, stems, openings
that point back, summaries, stories, topic terms, and how pages and feeds mark them.

Every text here was written for these tests, shaped like the news pages of each language.
"""

from __future__ import annotations

import json
import shutil
import threading
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from digest.analysis.analyzer import AnalysisSettings, Analyzer
from digest.analysis.languages import points_back, stemmer, stop_words
from digest.analysis.stories import cluster_stories
from digest.analysis.summary_base import Budget
from digest.analysis.tokenizer import NewsTokenizer, split_sentences
from digest.analysis.topic_corpus import Document, TermVectors
from digest.language import detect_language, direction, language_tag
from digest.model import Article
from digest.sources.files import ContentReader
from tests import pagefind
from tests.conftest import FIXTURES, copy_fixture, mkdocs_build

UTC = timezone.utc

# -- sentences ---------------------------------------------------------------------------------

GERMAN = (
    "Am 8. März 2014 verschwand die Maschine vom Radar. Die Suche, z.B. im Indischen Ozean, "
    "dauerte lange, d.h. über Jahre. Wie die F.A.S. am Sonntag berichtete, wurden am 15. März "
    "die Häuser der Piloten durchsucht. Das 19. Jahrhundert kannte solche Suchen nicht."
)


def test_german_ordinals_and_abbreviations_end_no_sentence() -> None:
    assert split_sentences(GERMAN, "de") == [
        "Am 8. März 2014 verschwand die Maschine vom Radar.",
        "Die Suche, z.B. im Indischen Ozean, dauerte lange, d.h. über Jahre.",
        "Wie die F.A.S. am Sonntag berichtete, wurden am 15. März die Häuser der Piloten "
        "durchsucht.",
        "Das 19. Jahrhundert kannte solche Suchen nicht.",
    ]


def test_german_sentence_ending_in_a_number_still_ends() -> None:
    text = "Die Mannschaft belegte am Ende Platz 3. Der Trainer war zufrieden."
    assert split_sentences(text, "de") == [
        "Die Mannschaft belegte am Ende Platz 3.",
        "Der Trainer war zufrieden.",
    ]


def test_polish_abbreviations_and_ordinal_dates() -> None:
    text = (
        "Rozmowy ws. budżetu trwały do późnej nocy. Ministrowie, np. Jan Kowalski, nie "
        "zabrali głosu. Kolejne posiedzenie zaplanowano na 5. maja."
    )
    assert split_sentences(text, "pl") == [
        "Rozmowy ws. budżetu trwały do późnej nocy.",
        "Ministrowie, np. Jan Kowalski, nie zabrali głosu.",
        "Kolejne posiedzenie zaplanowano na 5. maja.",
    ]


def test_spanish_and_french_titles_and_abbreviations() -> None:
    spanish = "El Sr. García llegó a las 10 a.m. del lunes. La ONU no respondió."
    assert split_sentences(spanish, "es") == [
        "El Sr. García llegó a las 10 a.m. del lunes.",
        "La ONU no respondió.",
    ]
    french = "M. Dupont est arrivé à Paris lundi. Il a rencontré Mme Martin."
    assert split_sentences(french, "fr") == [
        "M. Dupont est arrivé à Paris lundi.",
        "Il a rencontré Mme Martin.",
    ]


def test_persian_and_arabic_punctuation() -> None:
    persian = "وزیر گفت که مذاکرات ادامه دارد؟ او افزود، طرف‌ها باید گام بردارند؛ پایان.این خبر"
    assert split_sentences(persian, "fa") == [
        "وزیر گفت که مذاکرات ادامه دارد؟",
        "او افزود، طرف‌ها باید گام بردارند؛ پایان.",
        "این خبر",
    ]
    arabic = "هل ستستجيب أوروبا؟ يرى مراقبون، في طهران، أن الأسابيع المقبلة حاسمة. انتهى."
    assert split_sentences(arabic, "ar") == [
        "هل ستستجيب أوروبا؟",
        "يرى مراقبون، في طهران، أن الأسابيع المقبلة حاسمة.",
        "انتهى.",
    ]


def test_english_keeps_its_own_splitter() -> None:
    text = "Sen. Smith met Gov. Jones on Jan. 6 in the U.S. capital. They said.“We agreed.”"
    expected = split_sentences(text)
    assert split_sentences(text, "en") == expected == split_sentences(text, "english")
    assert list(NewsTokenizer().to_sentences(text)) == expected
    assert list(NewsTokenizer("german").to_sentences(GERMAN)) == split_sentences(GERMAN, "de")


# -- detection ---------------------------------------------------------------------------------

PERSIAN_TEXT = (
    "به گزارش خبرنگار ما، وزیر امور خارجه روسیه روز سه‌شنبه برای گفت‌وگو درباره توافق "
    "هسته‌ای وارد تهران شد و با همتای ایرانی خود دیدار کرد."
)
ARABIC_TEXT = (
    "دعا وزير الخارجية الإيراني يوم الأربعاء الدول الأوروبية إلى اتخاذ خطوات عملية للحفاظ "
    "على الاتفاق النووي خلال مؤتمر صحفي في طهران."
)


def test_detection_tells_persian_from_arabic() -> None:
    assert detect_language([PERSIAN_TEXT]) == "fa"
    assert detect_language([ARABIC_TEXT]) == "ar"
    # Older Persian pages write the Arabic letters ي and ك.
    old_spelling = PERSIAN_TEXT.replace("ی", "ي").replace("ک", "ك")
    assert detect_language([old_spelling]) == "fa"


def test_detection_of_latin_languages_and_too_little_text() -> None:
    assert detect_language([GERMAN]) == "de"
    assert detect_language(["Dock workers voted on Monday to end a two-week strike."]) == "en"
    assert detect_language(["OK"]) is None


def test_plain_english_is_told_without_loading_the_model() -> None:
    from digest import language

    language._loaded_identifier.cache_clear()
    text = (
        "Dock workers voted on Monday to end a two-week strike at the harbour after the port "
        "authority agreed to a new pay deal, the union said. It was the longest strike there."
    )
    assert detect_language([text]) == "en"
    assert language._loaded_identifier.cache_info().currsize == 0
    assert detect_language([GERMAN]) == "de"
    assert language._loaded_identifier.cache_info().currsize == 1


def test_the_model_loads_ahead_for_many_files_and_not_for_a_few() -> None:
    from digest import language

    language._loaded_identifier.cache_clear()
    with language.detector_loading(language.PRELOAD_FROM_FILES - 1):
        pass
    assert language._loaded_identifier.cache_info().currsize == 0
    with language.detector_loading(language.PRELOAD_FROM_FILES):
        loading = [t for t in threading.enumerate() if t.name == "digest-language-model"]
        assert detect_language([GERMAN]) == "de"
    assert loading  # it loaded beside the reading, and is let go after it
    assert language._loaded_identifier.cache_info().currsize == 0
    assert not [t for t in threading.enumerate() if t.name == "digest-language-model"]
    assert detect_language([GERMAN]) == "de"


def test_language_tags_and_direction() -> None:
    assert language_tag("pt-BR") == "pt" and language_tag("zh_Hant") == "zh"
    assert language_tag("not a tag") is None and language_tag(3) is None
    assert [direction(c) for c in ("fa", "ar", "he", "ur", "de", "en")] == ["rtl"] * 4 + ["ltr"] * 2


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_language_wins_and_a_bad_tag_is_reported(tmp_path: Path) -> None:
    content = tmp_path / "content"
    # The text is Spanish, but the editor says it is Catalan: the front matter wins.
    _write(
        content / "said-2019-05-01.md",
        "---\ntitle: Marxa a Caracas\ndate: 2019-05-01\nlanguage: ca\n---\n\n"
        "La oposición convocó una nueva marcha en Caracas este miércoles por la tarde. Miles de "
        "personas recorrieron las calles del centro y pidieron elecciones libres.\n",
    )
    _write(
        content / "bad-2019-05-02.md",
        "---\ntitle: Marcha en Caracas\ndate: 2019-05-02\nlanguage: spanish!\n---\n\n"
        "La oposición convocó una nueva marcha en Caracas este miércoles por la tarde. Miles de "
        "personas recorrieron las calles del centro y pidieron elecciones libres.\n",
    )
    _write(content / "short-2019-05-03.txt", "Brief\n\nOK.\n")
    read = ContentReader(content, UTC).read_all()
    by_path = {a.source_path: a for a in read.articles}
    assert by_path["said-2019-05-01.md"].language == "ca"
    assert by_path["bad-2019-05-02.md"].language == "es"
    assert by_path["short-2019-05-03.txt"].language == ""
    warned = [p for p in read.problems if p.path == "bad-2019-05-02.md"]
    assert warned and "'language' 'spanish!' is not a language tag" in warned[0].message


# -- words -------------------------------------------------------------------------------------


def test_stop_words_per_language_and_the_persian_list() -> None:
    assert {"der", "und", "das"} <= stop_words("de") and {"les", "est"} <= stop_words("french")
    assert {"el", "los", "del", "para"} <= stop_words("es")
    persian = stop_words("fa")
    # Function words, in both spellings (Persian ی/ک and the Arabic ي/ك of older pages).
    assert {"است", "این", "خود", "شده", "شود", "های", "می"} <= persian
    assert "مي" in persian and "ايران" not in persian and "تهران" not in persian
    assert stop_words("xx") == frozenset()


def test_stems_per_language() -> None:
    assert stemmer("es")("elecciones") == stemmer("es")("elección")
    assert stemmer("de")("Flugzeuge") == stemmer("de")("Flugzeug")
    # Persian: the plural suffix goes, and both spellings meet.
    assert stemmer("fa")("کتاب‌ها") == stemmer("fa")("كتاب") == "کتاب"


@pytest.mark.parametrize(
    ("language", "sentence", "leans"),
    [
        ("de", "So lange dauert die Suche schon.", True),
        ("de", "Damit können sie nur wenige Stunden suchen.", True),
        ("de", "Sie lachen über die Frage.", True),
        ("de", "Diese Woche beginnt der Prozess.", False),
        ("de", "Die Behörden meldeten neue Bilder.", False),
        ("fr", "C'est le lien entre les deux affaires.", True),
        ("fr", "Cette semaine, le gouvernement a annoncé un plan.", False),
        ("es", "Sin embargo, el Gobierno lo negó.", True),
        ("es", "Este año hubo menos protestas.", False),
        ("es", "Esta decisión llega tarde.", True),
        ("pl", "Jednak rząd nie odpowiedział.", True),
        ("fa", "وی افزود که مذاکرات ادامه دارد.", True),
        ("fa", "وزیر امور خارجه ایران گفت که مذاکرات ادامه دارد.", False),
        ("ar", "وقال الوزير إن بلاده ملتزمة.", True),
        ("ar", "دعا وزير الخارجية الدول الأوروبية إلى الحوار.", False),
        ("en", "But the talks went on.", True),
        ("sw", "Lakini mazungumzo yaliendelea.", False),
    ],
)
def test_openings_that_point_back(language: str, sentence: str, leans: bool) -> None:
    assert points_back(sentence, language) is leans


# -- summaries ---------------------------------------------------------------------------------


def _article(slug: str, title: str, paragraphs: tuple[str, ...], language: str, day: int = 1):
    return Article(
        source_path=f"{slug}.md",
        slug=slug,
        title=title,
        date=datetime(2019, 5, day, tzinfo=UTC),
        paragraphs=paragraphs,
        language=language,
    )


def _settings(summarizer: str = "digest", sentences: int = 2) -> AnalysisSettings:
    return AnalysisSettings(
        summarizer=summarizer,
        budget=Budget(sentences=sentences),
        topic_budget=Budget(sentences=1),
        topics=(),
        topic_threshold=0.1,
    )


def _fixture_article(relative: str) -> Article:
    read = ContentReader(FIXTURES / "multilingual" / "content", UTC).read_all()
    return next(a for a in read.articles if a.source_path == relative)


@pytest.mark.parametrize("summarizer", ["digest", "lexrank", "lsa"])
def test_summaries_of_german_and_persian_read_alone(summarizer: str) -> None:
    analyzer = Analyzer(_settings(summarizer, sentences=3))
    for relative, language in (("de/flug-2014-03-20.md", "de"), ("fa/tehran-2019-05-14.md", "fa")):
        article = _fixture_article(relative)
        assert article.language == language
        entry = analyzer.analyze(article)
        picked = entry.summary.sentences
        assert picked
        # A sentence that points back is in a summary only right after the one it points to.
        for sentence in picked:
            if points_back(sentence.text, language):
                assert any(s.index == sentence.index - 1 for s in picked), sentence.text
        # No ordinal or abbreviation fragment ("Am 8." / "März 2014 ...").
        assert all(not s.text.rstrip().endswith((" 8.", "z.B.", "d.h.")) for s in entry.sentences)


def test_english_summaries_do_not_change_with_the_language_code() -> None:
    paragraphs = (
        "Dock workers voted on Monday to end a two-week strike at the city's harbour after the "
        "port authority agreed to a new pay deal, the union said.",
        "But the agreement leaves night shifts unchanged. It raises wages by four percent.",
        "Shipping companies said it would take a week to clear the backlog of containers.",
    )
    english = _article("harbour", "Dock workers end strike", paragraphs, "en")
    unset = _article("harbour", "Dock workers end strike", paragraphs, "")
    analyzer = Analyzer(_settings())
    assert analyzer.analyze(english).summary == analyzer.analyze(unset).summary


# -- topic terms and stories -------------------------------------------------------------------


def test_topic_terms_leave_out_each_languages_stop_words() -> None:
    persian = [
        "وزیر امور خارجه ایران در تهران گفت که این توافق هسته‌ای باید حفظ شود و است.",
        "نشست وزیران در تهران برگزار شد و این توافق هسته‌ای موضوع اصلی بود و است.",
        "خبرگزاری گزارش داد که توافق هسته‌ای در تهران بررسی شده است و این خود مهم است.",
    ]
    spanish = [
        "El Gobierno de Caracas dijo que la oposición convocó para el lunes una marcha.",
        "La oposición de Caracas convocó una marcha para el martes, según el Gobierno.",
        "Los militares de Caracas no apoyan la marcha de la oposición, dijo el Gobierno.",
    ]
    documents = [Document(f"fa-{i}", "خبر", (t,), "fa") for i, t in enumerate(persian)]
    documents += [Document(f"es-{i}", "Noticia", (t,), "es") for i, t in enumerate(spanish)]
    vectors = TermVectors(documents, min_df=2, max_df=1.0)
    surfaces = {w.lower() for w in vectors.surface.values()}
    every_stop = stop_words("en") | stop_words("es") | stop_words("fa")
    assert surfaces and not surfaces & every_stop
    assert {"تهران", "caracas", "oposición"} <= surfaces


def test_a_story_never_mixes_languages_on_shared_words_alone() -> None:
    text = (
        "the harbour strike ended after dock workers accepted the pay offer from the port "
        "authority, and cargo ships began to unload containers at the harbour again.",
    )
    same = [_article(f"a{i}", "harbour strike ends", text, "en", day=1 + i) for i in range(2)]
    assert len(cluster_stories(same)) == 1
    mixed = [same[0], _article("b", "harbour strike ends", text, "es", day=2)]
    assert len(cluster_stories(mixed)) == 2


def test_a_story_joins_two_languages_on_strong_shared_names() -> None:
    text = (
        "On Tuesday Juan Guaidó met Nicolás Maduro and Michelle Bachelet in Caracas, where "
        "Juan Guaidó and Nicolás Maduro signed the accord with Michelle Bachelet watching.",
    )
    articles = [
        _article("en", "Guaidó Maduro Bachelet Caracas accord", text, "en", day=1),
        _article("es", "Guaidó Maduro Bachelet Caracas accord", text, "es", day=2),
    ]
    assert len(cluster_stories(articles)) == 1


# -- pages, feeds, search ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_fixture("multilingual", tmp_path_factory.mktemp("multilingual"))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.mark.parametrize(
    ("page", "marks"),
    [
        ("fa-tehran-2019-05-14", ' lang="fa" dir="rtl"'),
        ("ar-tehran-2019-05-15", ' lang="ar" dir="rtl"'),
        ("de-flug-2014-03-20", ' lang="de" dir="ltr"'),
        ("es-caracas-2019-05-01", ' lang="es" dir="ltr"'),
        ("en-harbour-2019-05-20", ""),
    ],
)
def test_article_pages_mark_text_and_summary_in_another_language(
    built: Path, page: str, marks: str
) -> None:
    html = (built / "articles" / page / "index.html").read_text(encoding="utf-8")
    assert f'<p class="digest-summary"{marks}>' in html
    assert f'<div class="digest-text"{marks}>' in html


def test_listings_mark_headline_and_summary(built: Path) -> None:
    html = (built / "topics" / "iran" / "index.html").read_text(encoding="utf-8")
    assert '<span lang="fa" dir="rtl"><a href="../../articles/fa-tehran-2019-05-14/">' in html
    assert '<p lang="fa" dir="rtl">به گزارش خبرنگار ما' in html
    assert '<span lang="ar" dir="rtl"><a href="../../articles/ar-tehran-2019-05-15/">' in html
    archive = next((built / "archive").glob("2019-05*/index.html")).read_text(encoding="utf-8")
    assert '<span lang="fa" dir="rtl"><a href=' in archive
    assert "Dock workers end strike at the harbour</a>" in archive
    assert '<span lang="en"' not in archive


def test_feeds_carry_each_items_language(built: Path) -> None:
    feed = json.loads((built / "feeds" / "feed.json").read_text(encoding="utf-8"))
    languages = {
        item["url"].rstrip("/").rsplit("/", 1)[1]: item.get("language") for item in feed["items"]
    }
    assert feed["language"] == "en"
    assert languages["fa-tehran-2019-05-14"] == "fa" and languages["ar-tehran-2019-05-15"] == "ar"
    assert languages["en-harbour-2019-05-20"] is None
    atom = ET.parse(built / "feeds" / "atom.xml").getroot()
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    entries = atom.findall("{http://www.w3.org/2005/Atom}entry")
    # One item per story: the two Persian reports of one meeting are one.
    assert sorted(e.get(xml_lang) or "-" for e in entries) == ["-", "ar", "de", "es", "fa"]
    rss = (built / "feeds" / "rss.xml").read_text(encoding="utf-8")
    assert rss.count("<dc:language>") == 4 and "<language>en</language>" in rss
    assert '&lt;p lang="fa" dir="rtl"&gt;' in rss


def test_a_story_in_persian_is_marked_and_takes_no_arabic_article(built: Path) -> None:
    # Two Persian reports of the Tehran meeting make a story; the Arabic report of the same
    # meeting the next day shares no full name with them (its script has no capitals).
    html = (built / "stories" / "fa-tehran-2019-05-14" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../articles/fa-lavrov-2019-05-15/"' in html
    assert "ar-tehran-2019-05-15" not in html
    assert html.count('<span lang="fa" dir="rtl">') >= 4
    assert [p.name for p in (built / "stories").iterdir()] == ["fa-tehran-2019-05-14"]


def test_search_finds_a_persian_word_of_the_text(built: Path) -> None:
    records = pagefind.records(built)
    persian = next(r for url, r in records.items() if "fa-tehran-2019-05-14" in url)
    assert "کمیسیون" in persian["content"]


def test_a_mixed_folder_gives_every_article_one_language(tmp_path: Path) -> None:
    """A mixed folder read as a build reads it: every article gets one language, and the site's
    fills in what neither front matter nor the text tells."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "multilingual" / "content", content)
    _write(content / "en" / "brief-2019-05-21.txt", "Brief\n\nPort open.\n")
    from digest.pipeline import with_site_language

    read = ContentReader(content, UTC).read_all()
    languages = {a.source_path: a.language for a in with_site_language(read.articles, "en")}
    assert languages == {
        "ar/tehran-2019-05-15.md": "ar",
        "de/flug-2014-03-20.md": "de",
        "en/brief-2019-05-21.txt": "en",
        "en/harbour-2019-05-20.md": "en",
        "es/caracas-2019-05-01.md": "es",
        "fa/lavrov-2019-05-15.md": "fa",
        "fa/tehran-2019-05-14.md": "fa",
    }


def test_a_sources_language_is_written_into_fetched_articles(tmp_path: Path) -> None:
    from digest.config import ConfigError, source_from_mapping
    from digest.sources.store import NewArticle, render

    source = source_from_mapping(
        {"name": "Diario", "feed": "https://diario.example/rss", "language": "es-VE"}, "sources[0]"
    )
    assert source.language == "es"
    text = render(
        NewArticle(
            title="Marcha en Caracas",
            date=datetime(2019, 5, 1, tzinfo=UTC),
            source=source.name,
            url="https://diario.example/marcha",
            paragraphs=("Corta.",),
            language=source.language,
        )
    )
    path = _write(tmp_path / "content" / "diario" / "marcha-2019-05-01.md", text)
    article = ContentReader(tmp_path / "content", UTC).read_file(path, "diario/marcha.md")[0]
    assert article.language == "es"  # too short to detect: the source said it
    with pytest.raises(ConfigError, match=r"sources\[0\] \(Diario\): 'language'"):
        source_from_mapping(
            {"name": "Diario", "feed": "https://diario.example/rss", "language": 7}, "sources[0]"
        )
