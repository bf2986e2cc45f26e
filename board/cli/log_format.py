"""`BOARD_LOG_FORMAT=json`: every log line of `board serve` as one JSON object, for a shipper.

uvicorn's lines and the board's alike: `time` (ISO 8601, UTC), `level`, `logger`, `message`,
then the fields the line was logged with (`extra=`: the request log's `request_id`, `method`,
`path`, `status`, `duration_ms`; a socket's `event`, `role`, `code`, `lived_s`; a summary's
counts), and a traceback as `exception`, so that even a traceback is one line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# What every LogRecord has: anything else on a record came from `extra=` and is a field.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    # uvicorn's coloured copy of the message (its `extra=`), the same words again.
    "color_message",
}


def _utc(timestamp: float) -> str:
    """`2025-01-31T09:15:02.123Z`"""
    moment = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return moment.removesuffix("+00:00") + "Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)
