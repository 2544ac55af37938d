"""Evaluation: scores of the digest against labelled data (ROUGE against human summaries, topic
precision and recall, readability defects), for `digest eval` and benchmarks/."""
