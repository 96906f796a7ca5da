"""Reading a file an operator names on the command line (``-`` for stdin): bounded, UTF-8, refused in words.

``ecom integration apply FILE`` and ``ecom integration preview --order FILE`` read a whole file into
memory, so the size is bounded first (:data:`MAX_INPUT_BYTES`: ``/dev/zero`` or a wrong file is
refused after reading that much, not after filling the memory), then the text must be UTF-8; the
error names the first line that is not. Both are a ConfigError (exit 3). CSV files are streamed
by :mod:`ecom.importer` instead, with their own row and cell bounds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ecom.errors import ConfigError

MAX_INPUT_BYTES = 10 * 1024 * 1024


def read_text(path: Path, what: str, *, limit: int = MAX_INPUT_BYTES) -> tuple[str, str]:
    """The text of ``path`` (or stdin for ``-``) and how messages name it; ``what`` says what it should be."""
    source = "stdin" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with path.open("rb") as file:
                raw = file.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"Cannot read {what} {source}: {exc.strerror}.") from None
    if len(raw) > limit:
        raise ConfigError(f"{source} is larger than {limit // 1024 // 1024} MiB, too large for {what}: is it the right file?")
    try:
        return source, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{source} is not UTF-8 text (line {line} is not): save it as UTF-8 and try again.") from None
