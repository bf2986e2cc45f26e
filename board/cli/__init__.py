"""The command line (`board`): the group and the board and database commands (main), `board
export` and `board import` (export_import), `board bench` (bench_command), what they share
(common), how `board serve` runs uvicorn (server), and the demo board (demo). The top layer: it
may import every other package, but only inside a command, so that `board --help` stays quick.
"""
