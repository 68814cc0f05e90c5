"""Finding a second format hidden in a kept one: markup a browser would run, or PDF actions.

Compressed media (PNG IDAT, JPEG scan data, an MP4's mdat) is random-looking, so a short marker like
`<svg` turns up by chance in a few per cent of large files; those parts are skipped and the places a
payload can sit as plain bytes are read instead: the first 64 KiB (where browsers sniff), PNG chunks
other than image data, JPEG segments before the scan, MP4 boxes other than media data, and all of a
GIF, WebP or PDF. Each region is read in overlapping pieces, so memory stays flat; matching is a
regular expression without back-references (linear time).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from typing import IO

from casework.evidence.errors import SuspectFile

ACTIVE = re.compile(rb"<(?:script|html|svg|iframe|!doctype|\?xml|\?php|body|object|embed)[\s>/]", re.IGNORECASE)
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFile)")  # PDF names are case-sensitive
HEAD = 64 * 1024
PIECE = 1024 * 1024
OVERLAP = 64
WHOLE = frozenset({"image/gif", "image/webp", "application/pdf"})
Region = tuple[int, int]  # offset, length


def find_active(media_type: str, spool: IO[bytes]) -> str | None:
    """The first active marker in the places a payload can hide, or None."""
    size = spool.seek(0, os.SEEK_END)
    patterns = (ACTIVE, PDF_ACTIVE) if media_type == "application/pdf" else (ACTIVE,)
    for offset, length in _regions(media_type, spool, size):
        if found := _search(spool, offset, length, patterns):
            return found
    return None


def png_ends_at_iend(spool: IO[bytes]) -> None:
    """Nothing may follow a PNG's IEND chunk (a classic polyglot), and the chunk must be there."""
    for kind, _, _ in _png_chunks(spool):
        if kind == b"IEND":
            if spool.read(1):
                raise SuspectFile("data follows the PNG's end (IEND): a polyglot")
            return
    raise SuspectFile("the PNG has no end chunk (IEND): truncated or not a PNG")


def _regions(media_type: str, spool: IO[bytes], size: int) -> Iterator[Region]:
    if media_type in WHOLE:
        yield 0, size
        return
    yield 0, min(HEAD, size)
    if media_type == "image/png":
        yield from ((start, length) for kind, start, length in _png_chunks(spool) if kind != b"IDAT")
    elif media_type == "image/jpeg":
        yield from _jpeg_segments(spool)
    elif media_type == "video/mp4":
        yield from _mp4_boxes(spool, size)


def _search(spool: IO[bytes], offset: int, length: int, patterns: tuple[re.Pattern[bytes], ...]) -> str | None:
    position, end, tail = offset, offset + length, b""
    while position < end:
        spool.seek(position)
        piece = spool.read(min(PIECE, end - position))
        if not piece:
            break
        window = tail + piece
        for pattern in patterns:
            if match := pattern.search(window):
                return match.group().decode("latin-1")
        tail, position = window[-OVERLAP:], position + len(piece)
    return None


def _png_chunks(spool: IO[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """(type, data offset, data length) of each chunk; the spool is left after the chunk's CRC."""
    position = 8
    while True:
        spool.seek(position)
        header = spool.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        start = position + 8
        position = start + length + 4
        spool.seek(position)
        yield kind, start, length
        if kind == b"IEND":
            return


def _jpeg_segments(spool: IO[bytes]) -> Iterator[Region]:
    """The marker segments (APPn, COM, tables) from the start to the first scan (SOS)."""
    position = 2
    while True:
        spool.seek(position)
        header = spool.read(4)
        if len(header) < 4 or header[0] != 0xFF:
            return
        marker, length = header[1], struct.unpack(">H", header[2:])[0]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        yield position + 4, max(0, length - 2)
        position += 2 + length


def _mp4_boxes(spool: IO[bytes], size: int) -> Iterator[Region]:
    """Every top-level box but the media data (mdat)."""
    position = 0
    while position + 8 <= size:
        spool.seek(position)
        length, kind = struct.unpack(">I4s", spool.read(8))
        header = 8
        if length == 1:
            length, header = struct.unpack(">Q", spool.read(8))[0], 16
        elif length == 0:
            length = size - position
        if length < header:
            return
        if kind != b"mdat":
            yield position + header, length - header
        position += length
