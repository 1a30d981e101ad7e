"""Progress of an embedding run, in total and per worker process.

On a terminal: tqdm bars, the total on top and one per worker below it. Elsewhere (a log
file, a CI job, `nohup`): one line every `every` seconds and one at the end, because bars
redrawn with carriage returns make unreadable logs.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


class EmbedProgress:
    """Counts stored passages per worker (0 .. workers-1) and in total."""

    def __init__(self, total: int, desc: str, workers: int = 0, enabled: bool = True, every: float = 30.0,
                 stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.total, self.desc, self.every = total, desc, every
        self.done = [0] * max(workers, 1)
        self.started = self._last_line = time.monotonic()
        self.bars = enabled and self.stream.isatty()
        self._total_bar: tqdm | None = None
        self._worker_bars: list[tqdm] = []
        if self.bars:
            self._total_bar = tqdm(total=total, desc=desc, unit="passage", position=0, file=self.stream,
                                   dynamic_ncols=True)
            self._worker_bars = [tqdm(total=None, desc=f"  worker {i + 1}", unit="passage", position=i + 1,
                                      file=self.stream, leave=False, dynamic_ncols=True)
                                 for i in range(workers)]

    def add(self, count: int, worker: int = 0) -> None:
        self.done[worker] += count
        if self._total_bar is not None:
            self._total_bar.update(count)
            if self._worker_bars:
                self._worker_bars[worker].update(count)
        elif self.enabled and time.monotonic() - self._last_line >= self.every:
            self._line()

    def note(self, text: str) -> None:
        """A message that must not be lost between the bars (a worker restarted)."""
        if self._total_bar is not None:
            self._total_bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def line(self) -> str:
        """`desc: done / total passages (pct), rate, ETA; worker i: n (rate)`."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        done = sum(self.done)
        rate = done / elapsed
        parts = [f"{self.desc}: {done:,} / {self.total:,} passages"]
        if self.total:
            parts[0] += f" ({100 * done / self.total:.1f} %)"
        parts.append(f"{rate:.1f}/s")
        if rate > 0 and self.total > done:
            parts.append(f"ETA {_clock((self.total - done) / rate)}")
        text = ", ".join(parts)
        if len(self.done) > 1:
            text += "; " + ", ".join(f"worker {i + 1}: {n:,} ({n / elapsed:.1f}/s)" for i, n in enumerate(self.done))
        return text

    def _line(self) -> None:
        self._last_line = time.monotonic()
        print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        for bar in self._worker_bars:
            bar.close()
        if self._total_bar is not None:
            self._total_bar.close()
        elif self.enabled and sum(self.done):
            self._line()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
