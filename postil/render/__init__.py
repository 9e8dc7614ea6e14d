"""Stage 4: the site model through the theme into pages. No file I/O."""
