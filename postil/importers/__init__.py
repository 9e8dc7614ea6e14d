"""Importers: content and comments from other systems, brought into a postil site."""
