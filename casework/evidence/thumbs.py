"""Thumbnails: the only way an image is shown, re-encoded as a small PNG so no uploaded byte reaches a page.

EXIF orientation is applied to the thumbnail only; the original keeps its metadata as evidence.
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from PIL import Image, ImageOps

from casework.evidence.sniff import PILLOW_FORMATS

SIZE = (320, 320)


def make_thumbnail(spool: IO[bytes], media_type: str) -> bytes | None:
    """A PNG of at most 320×320 pixels for an image (first frame); None for PDF and video."""
    if media_type not in PILLOW_FORMATS:
        return None
    spool.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(spool) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(SIZE)
            out = io.BytesIO()
            upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
    spool.seek(0)
    return out.getvalue()
