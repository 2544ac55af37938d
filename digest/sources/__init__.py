"""`digest fetch`: feeds, sitemaps and pages in, clean article files out."""
