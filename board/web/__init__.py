"""The HTTP surface: the JSON API (operations, api, moderation_api, routes, openapi), request
plumbing (http), the WebSocket endpoint (socket), the shared snapshot (snapshots), pages and
static files (pages, assets), headers, compression, rate limits, and the 503 of an outage.

May import `live`, `archive`, `domain` and `store`; only `board.app` and the command line import it.
"""
