"""Storage and the event log: the engine and its transactions (db), the tables (models), the
event each change writes with the board's next seq (events), SQLite's group-commit writer
(writer), the prepared statements of the hot path (prepared), and what a database that is away
looks like (unavailable).

Imports nothing of the board but `settings`, `resources`, `errors` and the library adapters
(`internals`).
"""
