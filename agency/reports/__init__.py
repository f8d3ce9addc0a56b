"""Working-capital reports: the client's dashboard, its charts, exports and the monthly PDF."""
