"""Ledger entries and their allocation; later: bank statements, remittance and commission."""
