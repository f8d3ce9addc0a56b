"""Sandbox mode of the outside services: what would have been sent or charged, recorded."""
