"""Deciding what an upload is from its bytes alone, and refusing anything that is not plainly one kept type.

`filetype` reads the magic numbers of the first bytes; the name and the client's Content-Type only
count as claims that must agree with it. A file that is also something a browser or reader would run
(markup or script anywhere in it, a ZIP directory at its end, data after a PNG's end, PDF actions) is
a polyglot and refused; images must open in Pillow within the decompression-bomb limit.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from typing import IO

import filetype
from PIL import Image

from casework.evidence import polyglot
from casework.evidence.errors import SuspectFile, UnsupportedType

KEPT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
}
FILE_EXTENSIONS = {**KEPT, "application/warc": "warc.gz"}  # KEPT, and what casework's own capture makes
PILLOW_FORMATS = {"image/png": {"PNG"}, "image/jpeg": {"JPEG", "MPO"}, "image/webp": {"WEBP"}, "image/gif": {"GIF"}}
EXTENSIONS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jfif": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "svg": "image/svg+xml",
    "svgz": "image/svg+xml",
    "html": "text/html",
    "htm": "text/html",
    "xhtml": "application/xhtml+xml",
    "js": "text/javascript",
    "exe": "application/x-msdownload",
    "dll": "application/x-msdownload",
    "zip": "application/zip",
}
NO_CLAIM = frozenset({"", "application/octet-stream", "binary/octet-stream"})
HEAD_BYTES = 8192
MAX_PIXELS = 60_000_000  # a 25 MB upload has no business decoding to more (about 240 MB of RGBA)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's bomb limit is process-wide; nothing else here decodes images


def sniff(head: bytes) -> str:
    """The media type the first bytes prove; 415 for anything we do not keep."""
    kind = filetype.guess(head)
    if kind is None:
        raise UnsupportedType(
            "the content is none of PNG, JPEG, WebP, GIF, PDF or MP4 (SVG, HTML and scripts are refused)"
        )
    if kind.mime not in KEPT:
        raise UnsupportedType(f"the content is {kind.mime}; kept types are PNG, JPEG, WebP, GIF, PDF and MP4")
    return str(kind.mime)


def check_claims(media_type: str, filename: str, declared: str | None) -> None:
    """The name's extension and the declared Content-Type, when they say anything, must match the content."""
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    claimed = EXTENSIONS.get(ext)
    if claimed is not None and claimed != media_type:
        raise SuspectFile(f"the name says .{ext} but the content is {media_type}")
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in NO_CLAIM and declared != media_type:
        raise SuspectFile(f"the declared type is {declared} but the content is {media_type}")


def check_structure(media_type: str, spool: IO[bytes]) -> None:
    """Refuse polyglots and broken or oversized images; the spool holds the whole upload."""
    if marker := polyglot.find_active(media_type, spool):
        raise SuspectFile(f"the {media_type} also carries active content ({marker.strip()}…): a polyglot")
    spool.seek(0)
    if zipfile.is_zipfile(spool):
        raise SuspectFile(f"the {media_type} also ends in a ZIP archive: a polyglot")
    if media_type == "image/png":
        polyglot.png_ends_at_iend(spool)
    if media_type in PILLOW_FORMATS:
        _opens_as_image(spool, media_type)
    spool.seek(0)


def _opens_as_image(spool: IO[bytes], media_type: str) -> None:
    spool.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(spool) as image:
                if image.format not in PILLOW_FORMATS[media_type]:
                    raise SuspectFile(f"Pillow reads the content as {image.format}, not {media_type}")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SuspectFile(f"the image decodes to more than {MAX_PIXELS:,} pixels (a decompression bomb)") from None
    except SuspectFile:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken image
        raise SuspectFile(f"the image does not decode: {exc}") from None
