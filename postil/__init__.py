"""postil: a static site generator for annotated essays."""
