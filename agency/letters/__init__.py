"""Dunning policies and steps, templates, PDF/e-mail/SMS rendering, dispatch jobs."""
