"""Site output, engine-neutral: the Markdown pages rendered through the Jinja2 templates, the
feeds (RSS, Atom, JSON Feed, OPML) and the reader's stylesheet and script."""
