"""Store: what one build keeps for the next, in `cache_dir`: the summary cache, the page cache's
storage and the build history ("What's new"). Everything read back is untrusted and checked."""
