"""A small Django project: a page from a template, a JSON view and a form post, no database."""
