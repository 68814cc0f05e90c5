"""Capturing a page in headless Chromium (Playwright): a full-page PNG, a PDF, and a WARC of what it fetched."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from playwright.sync_api import Response, sync_playwright
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

CHROMIUM = "/usr/bin/chromium"  # Debian's browser; Playwright's own download is never used
TIMEOUT_MS = 30_000
DECODED = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Captured:
    png: bytes
    pdf: bytes
    warc: bytes
    final_url: str


def capture_page(url: str, at: datetime, timeout_ms: int = TIMEOUT_MS) -> Captured:
    """Open `url` in a fresh browser context (no cookies, no service workers) and record what it shows."""
    responses: list[Response] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            context = browser.new_context(service_workers="block", accept_downloads=False)
            page = context.new_page()
            page.on("response", lambda response: responses.append(response))  # Playwright wraps plain functions
            page.goto(url, wait_until="networkidle", timeout=timeout_ms)
            png = page.screenshot(full_page=True, type="png", timeout=timeout_ms)
            pdf = page.pdf(print_background=True)
            warc = _warc(responses, at)
            return Captured(png, pdf, warc, page.url)
        finally:
            browser.close()


def _warc(responses: list[Response], at: datetime) -> bytes:
    """One gzipped WARC: a warcinfo record, then a response record per resource the page fetched."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    info = writer.create_warcinfo_record("capture.warc.gz", {"software": "casework page capture", "format": "WARC/1.1"})
    writer.write_record(info)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    for response in responses:
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body to keep
            continue
        status = f"{response.status} {response.status_text or 'OK'}"
        # Playwright hands back the decoded body, so its transfer headers would no longer describe it.
        kept = [(k, v) for k, v in response.headers.items() if k.lower() not in DECODED]
        headers = StatusAndHeaders(status, kept, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),  # with a length warcio hashes in place instead of spooling to a temporary file
            http_headers=headers,
            warc_headers_dict={"WARC-Date": stamp},
        )
        writer.write_record(record)
    return out.getvalue()
