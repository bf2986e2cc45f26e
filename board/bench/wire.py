"""WebSocket bytes on the wire, for clients that never parse JSON: handshake, masked frames, and
a frame reader over a receive buffer.

Clients must mask what they send (RFC 6455 section 5.3); the server's frames are unmasked.
"""

from __future__ import annotations

import base64
import re
import secrets
import struct
from collections.abc import Iterator

# Every bench note carries one marker in its body; viewers only look for these bytes.
MARKER = re.compile(rb"bench-n(\d{6})")
# The server encodes with compact separators and these keys first (hub.encode, events.view), so
# a scan finds each event's seq and the welcome's without decoding the frame.
EVENT_SEQ = re.compile(rb'"type":"event","seq":(\d+)')
WELCOME_SEQ = re.compile(rb'"type":"welcome","seq":(\d+)')
RESET = b'"type":"reset"'

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def upgrade_request(host: str, path: str, extra: str = "") -> bytes:
    """The opening handshake a browser sends (its key is random; the answer is not checked)."""
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    ).encode()


def _masked(opcode: int, payload: bytes) -> bytes:
    mask = secrets.token_bytes(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def masked_text_frame(payload: bytes) -> bytes:
    """A client→server text frame."""
    return _masked(TEXT, payload)


def masked_pong(payload: bytes) -> bytes:
    """The answer to a ping, with its payload."""
    return _masked(PONG, payload)


def masked_close(code: int) -> bytes:
    """The client's half of the closing handshake, echoing the server's code."""
    return _masked(CLOSE, struct.pack("!H", code))


def frames(buffer: bytearray) -> Iterator[tuple[int, bytes]]:
    """(opcode, payload) of each complete frame at the front of `buffer`, removed as it goes.

    What is left is the start of a frame still on its way.
    """
    while len(buffer) >= 2:
        opcode, size = buffer[0] & 0x0F, buffer[1] & 0x7F
        start = 2
        if size == 126:
            if len(buffer) < 4:
                return
            size, start = struct.unpack_from("!H", buffer, 2)[0], 4
        elif size == 127:
            if len(buffer) < 10:
                return
            size, start = struct.unpack_from("!Q", buffer, 2)[0], 10
        if len(buffer) < start + size:
            return
        payload = bytes(buffer[start : start + size])
        del buffer[: start + size]
        yield opcode, payload


def close_code(payload: bytes) -> int:
    """The code of a close frame; 1005 when it carries none."""
    return int(struct.unpack_from("!H", payload)[0]) if len(payload) >= 2 else 1005


def handshake(buffer: bytearray) -> int | None:
    """None until the answer to the upgrade is complete; then its status (101: upgraded), and
    it is removed from the buffer, leaving any frames that followed it."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    parts = bytes(buffer[: min(end, 32)]).split(b" ", 2)
    del buffer[: end + 4]
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return 0
