"""newsdigest: turn a folder of news articles into a summarized, topic-grouped static site."""

__version__ = "0.1.0"
