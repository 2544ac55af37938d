"""What every summarizer shares: the budget, the base class, selection by budget, and the sumy
document that pre-split sentences make.

All summarizers pick sentence indices from a list of already split sentences, so the same
splitter serves every algorithm and summaries can point back into the article's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sumy.models.dom import ObjectDocumentModel

    from digest.analysis.tokenizer import NewsTokenizer

# Past this many sentences the rest of a very long article is not fed to a sumy algorithm (news
# puts what matters first): LexRank, TextRank and Reduction build an n×n similarity matrix, LSA
# a words×sentences SVD, and none of them has a bounded cost without a limit.
MAX_GRAPH_SENTENCES = 200


@dataclass(frozen=True)
class Budget:
    """How long a summary may be: a number of sentences, or a word budget."""

    sentences: int | None = 3
    words: int | None = None

    def __post_init__(self) -> None:
        if (self.sentences is None) == (self.words is None):
            raise ValueError("a budget is either a number of sentences or a number of words")
        if (self.sentences or self.words or 0) < 1:
            raise ValueError("a summary budget must be at least 1")


class Summarizer:
    """Picks the indices of the sentences that make a summary, in article order."""

    name = "abstract"

    def rank(self, sentences: Sequence[str], title: str) -> list[int]:
        """All sentence indices, best first."""
        raise NotImplementedError

    def select(
        self,
        sentences: Sequence[str],
        title: str,
        budget: Budget,
        follows: Sequence[bool] | None = None,
    ) -> tuple[int, ...]:
        """The summary's sentence indices, in article order: the best of summary_order within
        the budget.

        follows[i] says whether sentence i comes right after sentence i - 1 in the article (a
        topic's passage skips sentences); summarizers that check references use it.
        """
        if not sentences:
            return ()
        return take_budget(self.summary_order(sentences, title, follows), sentences, budget)

    def summary_order(
        self, sentences: Sequence[str], title: str, follows: Sequence[bool] | None
    ) -> list[int]:
        """The indices a summary takes from, best first: every sentence, as rank orders them."""
        return self.rank(sentences, title)


def take_budget(order: Sequence[int], sentences: Sequence[str], budget: Budget) -> tuple[int, ...]:
    """Take ranked sentences until the budget is met; return them in article order."""
    if budget.sentences is not None:
        return tuple(sorted(order[: budget.sentences]))
    assert budget.words is not None
    picked: list[int] = []
    words = 0
    for index in order:
        picked.append(index)
        words += len(sentences[index].split())
        if words >= budget.words:
            break
    return tuple(sorted(picked))


def cut_to_words(text: str, words: int) -> str:
    """The first `words` words of a text (the word-budget cut used when scoring)."""
    return " ".join(text.split()[:words])


class LeadSummarizer(Summarizer):
    """The first sentences: the baseline every news summarizer is measured against."""

    name = "lead"

    def rank(self, sentences: Sequence[str], title: str) -> list[int]:
        return list(range(len(sentences)))


def sumy_document(
    sentences: Sequence[str], tokenizer: NewsTokenizer, title: str = ""
) -> ObjectDocumentModel:
    """A sumy document of pre-split sentences under the headline (order is what matters)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence

    body = [SumySentence(s, tokenizer) for s in sentences]
    heading = [SumySentence(title, tokenizer, is_heading=True)] if title.strip() else []
    return ObjectDocumentModel((Paragraph(heading + body),))
