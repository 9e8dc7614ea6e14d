"""postil: a static site generator for annotated essays."""

__version__ = "0.1.0"
