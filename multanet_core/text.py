"""Text for people: names from files shown safely in messages, docstrings as command-line help."""

from __future__ import annotations

import re


def printable(name: str) -> str:
    """``name`` with each control or other non-printing character escaped as Python's ``repr`` writes it
    (ESC as ``\\x1b``, NUL as ``\\x00``, a newline as ``\\n``): a name read from a checkpoint or a dataset
    cannot move the cursor, recolour or clear a terminal, or cut a message short at a NUL. A printable name
    comes back as it is."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def names(items) -> str:
    """``', '``-joined :func:`printable` names."""
    return ", ".join(printable(str(n)) for n in items)


def help_text(doc: str) -> str:
    """A docstring's first line as ``--help`` text: reStructuredText's double-backtick literals lose their
    marks (the terminal shows them as they are)."""
    return re.sub(r"``(.+?)``", r"\1", doc.strip().splitlines()[0])
