"""The hook reference of ``docs/writing-a-driver.md``, generated from :mod:`ecom.hookspecs`.

The hookspecs' docstrings are the one source of what each hook must do; this module renders them
as Markdown between two marker lines of the guide. ``python -m ecom.hookdocs [PATH]`` rewrites
that section, and a test fails when the guide's copy is stale.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from ecom import hookspecs

BEGIN = "<!-- hook reference: generated from core/ecom/hookspecs.py by `python -m ecom.hookdocs`; do not edit -->"
END = "<!-- end of hook reference -->"
GUIDE = Path("docs") / "writing-a-driver.md"


def hooks() -> list[str]:
    """The hook names, in the order the hookspecs module defines them."""
    found = [fn for fn in vars(hookspecs).values() if inspect.isfunction(fn) and hasattr(fn, "ecom_spec")]
    return [fn.__name__ for fn in sorted(found, key=lambda fn: fn.__code__.co_firstlineno)]


def _markdown(text: str) -> str:
    """reST roles (:func:`~ecom.x.y`) as Markdown code; field lists as bullets."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"^:(param \w+|return|raises [\w.]+):", lambda m: f"- **{m.group(1)}**:", text, flags=re.M)
    return text.replace("``", "`")


def reference() -> str:
    """The Markdown hook reference: per hook, its signature, whether it stops at the first
    result, and its docstring."""
    parts = []
    for name in hooks():
        fn = getattr(hookspecs, name)
        params = ", ".join(inspect.signature(fn).parameters)
        calls = "Called on the integration's own driver" if fn.ecom_spec["firstresult"] else "Called on every installed driver"
        doc = inspect.getdoc(fn) or ""
        doc = "\n".join(line for line in doc.splitlines() if line.strip() != "Stops at first non-None result.")
        body = _markdown(re.sub(r"\n{3,}", "\n\n", doc)).strip()
        parts.append(f"### `{name}({params})`\n\n*{calls}.*\n\n{body}\n")
    return "\n".join(parts)


def section() -> str:
    return f"{BEGIN}\n\n{reference()}\n{END}"


def refreshed(text: str) -> str:
    """``text`` (the guide) with its hook reference regenerated."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + section() + text[end:]


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else GUIDE
    path.write_text(refreshed(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"hook reference in {path} regenerated")


if __name__ == "__main__":
    main(sys.argv[1:])
