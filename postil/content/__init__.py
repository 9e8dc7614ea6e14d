"""Stage 1–2: find the site's source files, and parse each one on its own."""
