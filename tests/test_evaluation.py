"""ROUGE evaluation: reading the data, scoring, `digest eval rouge`, and the quality target."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.analysis.summarizers import SUMY_ALGORITHMS, Budget, LeadSummarizer
from digest.cli import cli
from digest.evaluation import rouge as evaluation
from digest.evaluation.rouge import (
    DEFAULT_NAMES,
    EvalArticle,
    EvaluationError,
    article_sentences,
    evaluate,
    read_jsonl,
    resolve_names,
    summary_text,
)

REPO = Path(__file__).resolve().parents[1]
DECKS = REPO.parent / "shared" / "corpora" / "news-decks" / "decks-even.jsonl"

ROWS = [
    {
        "id": "harbour",
        "title": "Storm-damaged harbour to reopen in May",
        "text": "The storm-damaged harbour will reopen to ferries in May, the council said. "
        "Engineers rebuilt two quay walls over the winter.\n\n"
        "Shops near the harbour lost half of their winter trade.",
        "reference": "The storm-damaged harbour will reopen to ferries in May, the council said.",
    },
    {
        "id": "plant",
        "title": "Council votes to close coal plant",
        "text": "The council voted on Thursday to close the coal plant by 2030. "
        "A solar farm will be built on the site. The plant employs 300 people.",
        "reference": "The coal plant will close by 2030 and a solar farm will replace it.",
    },
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n", encoding="utf-8")
    return path


def test_rows_are_read_with_title_and_id(data: Path) -> None:
    articles = read_jsonl(data)
    assert [a.id for a in articles] == ["harbour", "plant"]
    assert articles[1].title == "Council votes to close coal plant"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "A story.", "reference": "A summary."}\n{oops\n', ":2: not valid JSON"),
        ('{"text": "A story."}\n', ":1: missing or empty 'reference'"),
        ('["text", "reference"]\n', ":1: expected a JSON object"),
        ("\n\n", "no articles"),
    ],
)
def test_bad_data_names_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationError) as error:
        read_jsonl(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_sentences_are_split_per_paragraph() -> None:
    sentences = article_sentences(ROWS[0]["text"])
    assert sentences == [
        "The storm-damaged harbour will reopen to ferries in May, the council said.",
        "Engineers rebuilt two quay walls over the winter.",
        "Shops near the harbour lost half of their winter trade.",
    ]


def test_a_word_budget_cuts_the_summary_at_that_many_words() -> None:
    sentences = article_sentences(ROWS[1]["text"])
    text = summary_text(LeadSummarizer(), sentences, "", Budget(sentences=None, words=15))
    assert text == ("The council voted on Thursday to close the coal plant by 2030. A solar farm")


def test_scores_are_percent_f1_averaged_over_articles(data: Path) -> None:
    articles = read_jsonl(data)
    (lead,) = evaluate(articles[:1], Budget(1), ["lead"])
    # The reference is the article's first sentence, word for word.
    assert (lead.rouge1, lead.rouge2, lead.rougeL) == (100.0, 100.0, 100.0)
    both = {s.name: s for s in evaluate(articles, Budget(1), ["lead", "digest"])}
    assert 0 < both["lead"].rouge1 < 100
    assert both["lead"].articles == 2 and both["digest"].ms_per_article >= 0


def test_rows_can_be_chosen_by_name_and_keep_table_order() -> None:
    assert ("lead", *SUMY_ALGORITHMS, "digest") == DEFAULT_NAMES
    assert resolve_names(["digest", "Lex-Rank", "lead"]) == ("lead", "lexrank", "digest")
    assert resolve_names(None) == DEFAULT_NAMES
    with pytest.raises(ValueError, match="unknown summarizer 'gpt'"):
        resolve_names(["gpt"])


def test_missing_rouge_score_is_a_clear_error(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rouge_score", None)
    with pytest.raises(EvaluationError, match="pip install"):
        evaluate(read_jsonl(data), Budget(1), ["lead"])


# -- the command --------------------------------------------------------------------------------


def test_eval_rouge_prints_one_row_per_summarizer(data: Path) -> None:
    result = CliRunner().invoke(
        cli, ["eval", "rouge", str(data), "--sentences", "1"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names == list(DEFAULT_NAMES)
    assert "2 articles, 1 sentence per summary" in result.stdout


def test_eval_rouge_json_with_a_word_budget_and_chosen_rows(data: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["eval", "rouge", str(data), "--words", "12", "--only", "digest,lead", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["budget"] == {"sentences": None, "words": 12}
    assert [r["name"] for r in payload["rows"]] == ["lead", "digest"]
    for row in payload["rows"]:
        assert set(row) == {"name", "rouge1", "rouge2", "rougeL", "ms_per_article", "articles"}
        assert 0 <= row["rouge2"] <= row["rouge1"] <= 100


def test_eval_rouge_usage_errors(data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(cli, ["eval", "rouge", str(data), "--sentences", "1", "--words", "9"])
    assert both.exit_code == 2 and "either --sentences or --words" in both.output
    unknown = runner.invoke(cli, ["eval", "rouge", str(data), "--only", "bert"])
    assert unknown.exit_code == 2 and "unknown summarizer 'bert'" in unknown.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "x"}\n', encoding="utf-8")
    bad = runner.invoke(cli, ["eval", "rouge", str(broken)])
    assert bad.exit_code == 1 and f"{broken}:1: missing or empty 'reference'" in bad.output


# -- the quality target on editors' decks -------------------------------------------------------


@pytest.fixture(scope="module")
def decks() -> tuple[EvalArticle, ...]:
    if not DECKS.is_file():
        pytest.skip(f"shared corpus not found at {DECKS} (it sits beside the repository in CI)")
    return read_jsonl(DECKS)


@pytest.mark.parametrize("budget", [Budget(1), Budget(sentences=None, words=40)], ids=str)
def test_digest_is_no_worse_than_lead_on_human_decks(
    decks: tuple[EvalArticle, ...], budget: Budget
) -> None:
    scores = {s.name: s for s in evaluation.evaluate(decks, budget, ["lead", "digest"])}
    lead, digest = scores["lead"], scores["digest"]
    assert digest.rouge1 >= lead.rouge1
    assert digest.rouge2 >= lead.rouge2
    assert digest.rougeL >= lead.rougeL
