"""Reading what comes in: files (text, Markdown, HTML, PDF, Word), links, feeds."""
