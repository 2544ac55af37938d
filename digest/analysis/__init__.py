"""Analysis: sentences, summarizers, topics and clustering, over Articles. Plain Python with no
knowledge of files on disk, caches or site engines; every result is a model dataclass."""
