"""JSON API for client systems."""
