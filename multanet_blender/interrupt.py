"""Stopping a bake run cleanly on SIGINT (Ctrl-C) or SIGTERM (what a farm manager sends on cancel):
:func:`interruptible` turns the first of them into :class:`Interrupted`, which unwinds through the
temporary files' context managers (each removes its file) to the run's summary; :func:`check_interrupt`
raises it again after a call into Blender, which swallows exceptions raised inside its operators;
:func:`signals_held` defers both signals across a block that must not be cut in half."""

from __future__ import annotations

import contextlib
import signal
import threading


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: the run stops, removing its temporary files on the way out (a
    BaseException, so that no file's ``except Exception`` reports it as that file's failure)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's: 130 for SIGINT, 143 for SIGTERM


_signalled: list[int] = []


def check_interrupt() -> None:
    """Raise :class:`Interrupted` again when a signal came: Blender prints and swallows an exception raised
    inside its handlers and operators, so the run checks after each call into Blender."""
    if _signalled:
        raise Interrupted(_signalled[0])


@contextlib.contextmanager
def interruptible():
    """While the block runs, the first SIGINT or SIGTERM raises :class:`Interrupted` (later ones are
    ignored while the run cleans up and reports). Outside the main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if not _signalled:
            _signalled.append(signum)
            raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _signalled.clear()


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM wait (at the process level) until the block ends."""
    which = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, which) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
