"""Real files made in the test: images through Pillow, a PDF, an MP4 box header, and hostile look-alikes."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def image(fmt: str = "PNG", size=(40, 30), color="red", exif_orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, color)
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        picture.save(out, fmt, exif=exif.tobytes())
    else:
        picture.save(out, fmt)
    return out.getvalue()


def png(**kwargs) -> bytes:
    return image("PNG", **kwargs)


def jpeg(**kwargs) -> bytes:
    return image("JPEG", **kwargs)


def pdf() -> bytes:
    return image("PDF")


def mp4(payload: int = 2048) -> bytes:
    """An ISO base-media file: ftyp (mp42), an empty moov box and an mdat box of zero bytes."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"mp42", 0, b"mp42", b"isom")
    moov = struct.pack(">I4s", 8, b"moov")
    mdat = struct.pack(">I4s", 8 + payload, b"mdat") + bytes(payload)
    return ftyp + moov + mdat


def html() -> bytes:
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def png_html_polyglot() -> bytes:
    """A valid PNG whose text chunk carries a page a browser would run if it sniffed it."""
    body = png()
    text = b"Comment\x00<html><script>alert(1)</script></html>"
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    return body[:33] + chunk + body[33:]


def png_with_zip() -> bytes:
    """A PNG followed by a ZIP archive: opens as either."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "hidden")
    return png() + out.getvalue()


def decompression_bomb() -> bytes:
    """A small PNG that declares 20,000 × 20,000 pixels (400 million)."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    return out.getvalue()


def executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def mp4_with_box(kind: bytes, content: bytes, in_media: bytes = b"") -> bytes:
    """An MP4 with an extra top-level box, and `in_media` placed past the first 64 KiB of its media data."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"mp42", 0, b"mp42", b"isom")
    extra = struct.pack(">I4s", 8 + len(content), kind) + content
    media = bytes(70 * 1024) + in_media + bytes(1024)
    return ftyp + extra + struct.pack(">I4s", 8 + len(media), b"mdat") + media


def jpeg_with_comment(comment: bytes) -> bytes:
    body = jpeg()
    return body[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + body[2:]


def pdf_with_javascript() -> bytes:
    return pdf().replace(b"%%EOF", b"1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF")
