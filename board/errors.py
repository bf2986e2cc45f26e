"""Expected failures a client can act on, with their status and code.

Plain Python, so every layer and the command line can raise them without loading the web
stack; `board.web.http` turns them into the error envelope `{"error": {"code", "message"}}`.
"""

from __future__ import annotations


class ApiError(Exception):
    """An expected failure that the client can act on."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)
