"""Debtor pages behind the token, payment providers and their webhooks."""
