"""The command line (`board`): the commands (main), how `board serve` runs uvicorn (server), and
the demo board (demo). The top layer: it may import every other package.
"""
