"""Clients (creditors): contract terms, branding, and the handoff intake."""
