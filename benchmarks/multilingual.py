"""Non-English benchmarks: Persian summaries against the agency's lead, Spanish topics.

In one run, read from ../shared/corpora (skipped when absent; never copied):

- fa-news-even/ (627 Fars News articles with the lead the agency's editors printed above each):
  ROUGE-1/2/L F1 of the digest's summary and of the article's first words (the lead baseline),
  both cut to the same number of words, against that printed lead. Words are compared after
  Persian normalisation (Arabic ي/ك as ی/ک, the zero-width non-joiner as a space), unstemmed:
  rouge-score's own tokenizer keeps ASCII letters only and would score Persian as empty.
  Also: how many articles are detected as Persian, and how many summaries open by pointing back.
- es-crisis-even/ (307 Spanish articles collected for four crises): each label a topic with
  Spanish keywords; the share of articles whose label is among their topics and is their main
  one (the topic with the largest share).
- Both in one English site (120 Spanish, 100 Persian articles through the whole pipeline):
  Persian pages marked fa and right-to-left, stop words among suggested keywords, stories
  that mix languages.

    python benchmarks/multilingual.py            # both corpora
    python benchmarks/multilingual.py --limit 100
    python benchmarks/multilingual.py --only spanish   # one part: persian, spanish, site
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digest.analysis.analyzer import AnalysisSettings, Analyzer, split_article
from digest.analysis.languages import points_back
from digest.analysis.summary_base import Budget
from digest.language import detect_language
from digest.model import Article, Topic

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
FARS = Path("fa-news-even") / "fars-even.jsonl"
CRISIS = Path("es-crisis-even") / "crisis-es-even.jsonl"
_WORD = re.compile(r"[^\W_]+")
# Spanish keywords a Spanish reader would configure for each crisis (the country, its
# capital, its demonym, its leader at the time): written here, not learnt from the corpus.
CRISIS_TOPICS = {
    "egypt": ["Egipto", "egipcio", "El Cairo", "Mubarak", "Morsi", "plaza Tahrir"],
    "libya": ["Libia", "libio", "Trípoli", "Bengasi", "Gadafi"],
    "syria": ["Siria", "sirio", "Damasco", "Alepo", "Al Asad", "Bashar"],
    "yemen": ["Yemen", "yemení", "Saná", "Saleh"],
}


class _PersianTokens:
    """rouge-score's tokenizer interface for Persian: normalised words, no stemming."""

    def tokenize(self, text: str) -> list[str]:
        text = text.replace("ي", "ی").replace("ك", "ک").replace("\u200c", " ")
        return _WORD.findall(text.lower())


def _rows(path: Path, limit: int | None) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return rows[:limit] if limit else rows


def _article(row: dict[str, Any], language: str) -> Article:
    paragraphs = tuple(" ".join(p.split()) for p in row["text"].split("\n") if p.strip())
    return Article(
        source_path=f"{row['id']}.txt",
        slug=re.sub(r"[^a-z0-9-]+", "-", row["id"].lower()),
        title=" ".join(str(row.get("title") or "").split()) or "untitled",
        date=datetime.fromisoformat(row["date"]).replace(tzinfo=timezone.utc),
        paragraphs=paragraphs,
        language=language,
    )


def persian_summaries(path: Path, limit: int | None, words: int) -> None:
    from rouge_score import rouge_scorer

    rows = _rows(path, limit)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=_PersianTokens())
    detected = sum(detect_language((r["title"], *r["text"].split("\n\n"))) == "fa" for r in rows)
    settings = AnalysisSettings(
        summarizer="digest",
        budget=Budget(sentences=None, words=words),
        topic_budget=Budget(sentences=2),
        topics=(),
        topic_threshold=0.1,
    )
    analyzer = Analyzer(settings)
    names = ("digest", "digest as English", "lead")
    totals = {name: [0.0, 0.0, 0.0] for name in names}
    leaning = 0
    for row in rows:
        article = _article(row, "fa")
        entry = analyzer.analyze(article)
        summary = entry.summary.text.split()[:words]
        lead = " ".join(s.text for s in split_article(article)).split()[: len(summary)]
        # The same article analysed as English (every article was, before languages): Punkt's
        # sentences, English stop words and rules.
        english = analyzer.analyze(replace(article, language="en")).summary.text.split()[:words]
        leaning += bool(entry.summary.sentences) and points_back(
            entry.summary.sentences[0].text, "fa"
        )
        for name, text in (("digest", summary), ("digest as English", english), ("lead", lead)):
            score = scorer.score(row["reference"], " ".join(text))
            for i, kind in enumerate(("rouge1", "rouge2", "rougeL")):
                totals[name][i] += 100 * score[kind].fmeasure
    n = len(rows)
    print(f"## fa-news-even: {n} articles, summaries of {words} words vs the agency's lead\n")
    print(
        f"detected as Persian: {detected}/{n}; digest summaries opening by pointing back: {leaning}"
    )
    print("\n| summary | ROUGE-1 | ROUGE-2 | ROUGE-L |\n|---|---:|---:|---:|")
    for name, (r1, r2, rl) in totals.items():
        label = {
            "lead": "lead (the article's first words, same length)",
            "digest as English": "digest, the article analysed as English (before languages)",
        }.get(name, name)
        print(f"| {label} | {r1 / n:.2f} | {r2 / n:.2f} | {rl / n:.2f} |")
    print()


def spanish_topics(path: Path, limit: int | None) -> None:
    """The crisis labels as topics, matched with Spanish stems (the article's language) and,
    in the same run, with English stems (every article's, before languages)."""
    from digest.analysis.topics import TopicMatcher

    rows = _rows(path, limit)
    topics = tuple(
        Topic(name=label.title(), slug=label, keywords=tuple(words))
        for label, words in CRISIS_TOPICS.items()
    )
    matcher = TopicMatcher(topics, 0.1)
    among = {"es": 0, "en": 0}
    main = {"es": 0, "en": 0}
    detected = 0
    for row in rows:
        detected += detect_language((row["title"], row["text"])) == "es"
        article = _article(row, "es")
        sentences = split_article(article)
        headline = (article.title, article.dateline or "")
        for stems in among:
            found = matcher.attribute(article.paragraphs, sentences, headline, stems)
            among[stems] += row["label"] in [a.topic for a in found]
            if found:
                best = max(found, key=lambda a: (a.share, a.lead))
                main[stems] += best.topic == row["label"]
    n = len(rows)
    print(f"## es-crisis-even: {n} articles, four topics with Spanish keywords\n")
    print(f"detected as Spanish: {detected}/{n}\n")
    print("| words stemmed as | label among the article's topics | main topic |")
    print("|---|---:|---:|")
    for stems, name in (("en", "English (before languages)"), ("es", "Spanish (the article's)")):
        print(f"| {name} | {among[stems] / n:.3f} | {main[stems] / n:.3f} |")
    print()


def mixed_digest(fars: Path, crisis: Path, limit: int | None) -> None:
    """One English site of Spanish crisis articles and Persian news, built as a build does
    (files in a temporary content folder, read, detected, analysed, grouped, rendered)."""
    import tempfile

    from digest.analysis.languages import stop_words
    from digest.config import DigestConfig
    from digest.pipeline import build_digest
    from digest.site.render import PageRenderer

    spanish, persian = _rows(crisis, limit or 120)[:120], _rows(fars, limit or 100)[:100]
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder)
        for number, row in enumerate(spanish + persian):
            kind = "es" if number < len(spanish) else "fa"
            paragraphs = [p for p in re.split(r"\n+", row["text"]) if p.strip()]
            body = f"{row['title'] or 'untitled'}\n\n" + "\n\n".join(paragraphs)
            (content / f"{kind}-{number:04d}-{row['date']}.txt").write_text(body, "utf-8")
        topics = tuple(
            Topic(name=label.title(), slug=label, keywords=tuple(words))
            for label, words in CRISIS_TOPICS.items()
        )
        config = DigestConfig(content_dir=content, topics=topics, cache_dir=None, workers=1)
        digest = build_digest(config)
        pages = {p.path: p.markdown for p in PageRenderer(config).render(digest)}
    by_name = {e.article.source_path: e for e in digest.entries}
    fa_pages = [
        pages.get(f"articles/{e.article.slug}.md", "")
        for name, e in by_name.items()
        if name.startswith("fa-")
    ]
    marked = sum('<div class="digest-text" lang="fa" dir="rtl">' in page for page in fa_pages)
    every_stop = stop_words("en") | stop_words("es") | stop_words("fa")
    keywords = [k for s in digest.suggestions for k in s.keywords]
    stopped = [k for k in keywords if k.lower() in every_stop]
    languages = {e.article.source_path: e.article.language for e in digest.entries}
    mixed = [s for s in digest.stories if len({languages[a] for a in s.articles}) > 1]
    n = len(spanish) + len(persian)
    print(f"## One English site: {len(spanish)} Spanish and {len(persian)} Persian articles\n")
    print(f"articles read: {len(digest.entries)}/{n}")
    print(f"Persian article pages marked fa and rtl: {marked}/{len(fa_pages)}")
    print(f"suggested topics: {', '.join(s.name for s in digest.suggestions) or 'none'}")
    print(f"stop words among the {len(keywords)} suggested keywords: {stopped or 'none'}")
    stories = sum(len(s.articles) > 1 for s in digest.stories)
    print(f"stories of several articles: {stories}, mixing languages: {len(mixed)}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="articles per corpus")
    parser.add_argument("--words", type=int, default=30, help="summary length in words")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="the shared corpora")
    parser.add_argument(
        "--only",
        choices=("persian", "spanish", "site"),
        help="one part: Persian summaries, Spanish topics or the mixed English site",
    )
    args = parser.parse_args(argv)
    fars, crisis = args.corpora / FARS, args.corpora / CRISIS
    if not fars.is_file() or not crisis.is_file():
        print(f"corpora not found under {args.corpora}: nothing to measure", file=sys.stderr)
        return 0
    if args.only in (None, "persian"):
        persian_summaries(fars, args.limit, args.words)
    if args.only in (None, "spanish"):
        spanish_topics(crisis, args.limit)
    if args.only in (None, "site"):
        mixed_digest(fars, crisis, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
