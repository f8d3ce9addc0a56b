"""The client portal: handoffs, case overview, working-capital reports, exports."""
