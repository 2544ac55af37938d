"""Sources: where articles come from. Reading files in `content/` into Articles (untrusted text
decoded, checked and cleaned, page furniture set apart), and `digest fetch`: feeds, sitemaps
and pages in, clean article files out. Nothing here imports the later stages."""
