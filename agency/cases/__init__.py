"""Debtors, cases and invoices; the case status machine; queues; charges (WIK, interest)."""
