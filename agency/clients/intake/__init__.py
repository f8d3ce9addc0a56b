"""Handoff intake: turn a client's CSV or XLSX export into checked invoice rows.

`reader.read_table` finds the header and yields cell texts, `columns.map_headers` says which
column holds which field, and `rows.parse_rows` returns typed rows and row errors. Pure
functions: no database, no Flask.
"""
