"""Evidence: 25 MB upload and download vs a plain file copy, peak memory flat in file size, a 20-exhibit package."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import struct
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import fresh_runtime, peak_rss_mb
from casework.access import users
from casework.evidence import attachments, keys, package
from casework.intake import flags as intake

MB = 1024 * 1024


def _mp4(path: Path, size: int) -> None:
    """An MP4 box header and random (incompressible) media data, written a MiB at a time."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"mp42", 0, b"mp42", b"isom")
    with open(path, "wb") as out:
        out.write(ftyp + struct.pack(">I4s", size - len(ftyp), b"mdat"))
        left = size - len(ftyp) - 8
        while left > 0:
            piece = os.urandom(min(MB, left))
            out.write(piece)
            left -= len(piece)


def _setup(folder: str):
    cw = fresh_runtime(folder)
    users.add_user(cw, "bench.admin", roles=["channel_admin", "crime_bureau"], forces=["warwickshire"])
    actor = users.actor_for(cw, "bench.admin")
    payload = {
        "force": "warwickshire",
        "platform": "facebook",
        "channel": "Page",
        "external_id": "b-1",
        "permalink": "https://facebook.com/b-1",
        "text": "bench",
        "reason": "race",
    }
    ref = intake.flag_comment(cw, actor, payload).case.reference
    return cw, actor, ref


def _round_trip(folder: str, size: int) -> dict[str, float]:
    cw, actor, ref = _setup(folder)
    source, copy, back = Path(folder) / "in.mp4", Path(folder) / "copy.mp4", Path(folder) / "out.mp4"
    _mp4(source, size)
    start = time.perf_counter()
    shutil.copyfile(source, copy)  # to the page cache, like SQLite's WAL commit with synchronous=NORMAL
    copy_s = time.perf_counter() - start
    base = peak_rss_mb()
    start = time.perf_counter()
    with open(source, "rb") as stream:
        item = attachments.add_attachment(cw, actor, ref, stream, filename="in.mp4", via="cli")
    up_s = time.perf_counter() - start
    start = time.perf_counter()
    with open(back, "wb") as out:
        for piece in attachments.chunks(cw, attachments.open_attachment(cw, actor, ref, item.id, "cli", "download")):
            out.write(piece)
    down_s = time.perf_counter() - start
    peak_delta = peak_rss_mb() - base
    assert _sha256(back) == _sha256(source) == item.sha256
    return {"copy": copy_s, "up": up_s, "down": down_s, "peak_delta": peak_delta}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while piece := stream.read(MB):
            digest.update(piece)
    return digest.hexdigest()


def _in_process(size: int, queue) -> None:
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
        queue.put(_round_trip(folder, size))


def _measure(size: int) -> dict[str, float]:
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=_in_process, args=(size, queue))
    process.start()
    result = queue.get(timeout=900)
    process.join()
    return result


def _package(count: int, size: int) -> float:
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
        cw, actor, ref = _setup(folder)
        key = Path(folder) / "key"
        keys.ensure_key(key)
        cw.settings = replace(cw.settings, evidence_key_file=str(key))
        for n in range(count):
            path = Path(folder) / f"{n}.mp4"
            _mp4(path, size)
            with open(path, "rb") as stream:
                attachments.add_attachment(cw, actor, ref, stream, filename=path.name, via="cli")
        start = time.perf_counter()
        with open(Path(folder) / "package.zip", "wb") as out:
            package.make_package(cw, actor, ref, "Crown Prosecution Service", "bench", out)
        return time.perf_counter() - start


def main() -> None:
    small, big = _measure(5 * MB), _measure(25 * MB)
    up, down, copy = 25 / big["up"], 25 / big["down"], 25 / big["copy"]
    print(f"25 MB upload (sniff, hash, spool, chunk rows, event): {up:.0f} MB/s vs a plain file copy {copy:.0f} MB/s")
    print(f"25 MB download (chunk rows to a file): {down:.0f} MB/s, {down / copy:.2f}x the copy")
    growth = (small["peak_delta"], big["peak_delta"])
    print(f"peak RSS growth, upload + download: 5 MB file +{growth[0]:.1f} MB, 25 MB file +{growth[1]:.1f} MB")
    print(f"evidence package of 20 exhibits of 1 MB: {_package(20, MB):.2f} s")


if __name__ == "__main__":
    main()
