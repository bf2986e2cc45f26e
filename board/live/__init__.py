"""Live delivery of committed events: the hub that fans each event out to a board's sockets, with
its recent events for resuming (hub), and the Redis relay between server processes (relay).

Imports `store` (the events) and the library adapters (`internals`); the WebSocket endpoint
itself is in `web.socket`.
"""
