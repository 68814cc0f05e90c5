"""Detector worst cases: crafted comments of 1k, 8k and 20k characters against a typical one (20k < 50 ms)."""

from __future__ import annotations

import time

from casework.intake.detector import configured_detector

TYPICAL = "Thank you to the officers who helped my mum yesterday, the roads near Kenilworth are flooded."
CRAFTED = {
    "b.": "b.",
    "k k": "k k ",
    "look-alikes": "k1|!1 ",
    "repeats": "kiiiiiiiiiiil",
    "phrase prefix": "go back to your own ",
}
SIZES = (1_000, 8_000, 20_000)
TARGET_MS = 50.0


def _best_ms(scan, text: str, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        scan(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    scan = configured_detector().scan
    typical = _best_ms(scan, TYPICAL, 50)
    print(f"typical comment ({len(TYPICAL)} chars): {typical:.3f} ms")
    worst = 0.0
    for name, unit in CRAFTED.items():
        figures = []
        for size in SIZES:
            ms = _best_ms(scan, unit * (size // len(unit)))
            figures.append(f"{size // 1000}k {ms:7.3f} ms ({ms / typical:6.1f}x typical)")
            worst = max(worst, ms) if size == SIZES[-1] else worst
        print(f"  {name:<14} " + "  ".join(figures))
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(f"worst 20k-character input: {worst:.3f} ms (target < {TARGET_MS:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
