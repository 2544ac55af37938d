"""Topic attribution: which paragraphs of an article are about which configured topic."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from digest.model import Sentence, Topic


@dataclass(frozen=True)
class Attribution:
    """One topic's share of an article: the paragraphs about it and the words that said so."""

    topic: str
    paragraphs: tuple[int, ...]
    share: float
    evidence: tuple[str, ...]


@lru_cache(maxsize=256)
def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.split()]
    # Plural and possessive endings count: "Iranians", "Maduro’s".
    return re.compile(r"\b" + r"\s+".join(words) + r"(?:s|es|’s|'s)?\b", re.IGNORECASE)


class TopicMatcher:
    """Keyword attribution per paragraph, with per-topic exclusions."""

    def __init__(self, topics: Sequence[Topic], threshold: float = 0.15) -> None:
        self.topics = tuple(topics)
        self.threshold = threshold

    def paragraph_evidence(self, paragraph: str, topic: Topic) -> list[str]:
        text = paragraph
        for phrase in topic.exclude:
            text = _pattern(phrase).sub(" ", text)
        found: list[str] = []
        for keyword in topic.keywords:
            found.extend(m.group(0) for m in _pattern(keyword).finditer(text))
        return found

    def attribute(
        self, paragraphs: Sequence[str], sentences: Sequence[Sentence]
    ) -> tuple[Attribution, ...]:
        total = max(1, len(sentences))
        per_paragraph = Counter(s.paragraph for s in sentences)
        results: list[Attribution] = []
        for topic in self.topics:
            hits: list[int] = []
            evidence: Counter[str] = Counter()
            for index, paragraph in enumerate(paragraphs):
                found = self.paragraph_evidence(paragraph, topic)
                if found:
                    hits.append(index)
                    evidence.update(f.lower() for f in found)
            if not hits:
                continue
            share = sum(per_paragraph[i] for i in hits) / total
            if share < self.threshold:
                continue
            ranked = tuple(w for w, _ in sorted(evidence.items(), key=lambda kv: (-kv[1], kv[0])))
            results.append(Attribution(topic.slug, tuple(hits), round(share, 4), ranked))
        return tuple(results)
