"""Analyses over many articles at once: stories (one event, many sources)."""
