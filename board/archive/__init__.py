"""A board after the event: read whole (contents), written as the Markdown archive (export) and
as the JSON backup, which also makes a board again (backup).

Imports `domain` and `store`; the HTTP surface and the command line call it.
"""
