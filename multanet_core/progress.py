"""One status line for long jobs (training, corpus generation, batch bakes): redrawn in place on a
terminal, and written as ordinary lines, at most every ``every`` seconds, into logs and pipes."""

from __future__ import annotations

import math
import sys
import time


def bar(fraction: float, width: int = 24) -> str:
    """``[#####.....]`` filled to ``fraction`` (clipped to 0..1)."""
    n = int(round(width * min(max(fraction, 0.0), 1.0)))
    return "[" + "#" * n + "." * (width - n) + "]"


class StatusLine:
    """``show(text)`` redraws the line (on a terminal at most every 0.2 s; elsewhere a new line at most
    every ``every`` seconds, ``math.inf``: only forced ones); ``done(text)`` ends it."""

    def __init__(self, stream=None, enabled: bool = True, every: float = 10.0):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = 0.2 if self.tty else every
        self.last = -math.inf
        self.width = 0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < self.every):
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, text: str = "") -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width) + "\n" if text else "\n")
        elif text:
            self.stream.write(text + "\n")
        self.width = 0
        self.stream.flush()
