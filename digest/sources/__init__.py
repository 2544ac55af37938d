"""Sources: where articles come from. Reading files in `content/` into Articles (untrusted text
decoded, checked and cleaned, page furniture set apart), before anything is analysed."""
