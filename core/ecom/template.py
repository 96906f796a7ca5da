"""Rendering the driver template (``plugin_template/``) into a new driver distribution.

``ecom plugins new "Acme Cart"`` calls :func:`render_driver`: the name is normalised into the
cart kind (``acme_cart``, also the entry-point name), the package (``ecom_acme_cart``) and the
distribution (``ecom-acme-cart``), and every file of the template is rendered with jinja2. In
the template, a path part ``{{package}}`` becomes the package name and the ``.j2`` suffix is
dropped. The template ships inside the ``ecom`` package (``ecom/plugin_template``, a link to the
repository's top-level ``plugin_template/`` that the build copies), so it works from a pip install.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ecom.errors import ConfigError

TEMPLATE = Path(__file__).parent / "plugin_template"


@dataclass(frozen=True)
class DriverNames:
    """The names a new driver gets from the name its author typed."""

    title: str  # Acme Cart
    kind: str  # acme_cart: the cart kind and the entry-point name
    package: str  # ecom_acme_cart
    dist: str  # ecom-acme-cart
    class_name: str  # AcmeCart

    @classmethod
    def from_title(cls, title: str) -> DriverNames:
        """Normalise ``title``; a :class:`ConfigError` when it gives no valid identifier."""
        title = " ".join(title.split())
        if re.search(r'["\\{}]', title):  # the title is written into Python and TOML strings
            raise ConfigError(f"Cannot name a driver {title!r}: leave out quotes, backslashes and braces.")
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        kind = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_")
        kind = kind.removeprefix("ecom_")  # "ecom-acme" would make ecom_ecom_acme
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
            raise ConfigError(
                f"Cannot name a driver {title!r}: it gives {kind!r}, not a Python identifier. "
                "Use letters, digits and spaces, starting with a letter, e.g. \"Acme Cart\"."
            )
        return cls(
            title=title,
            kind=kind,
            package=f"ecom_{kind}",
            dist=f"ecom-{kind.replace('_', '-')}",
            class_name="".join(part.capitalize() for part in kind.split("_")),
        )


def template_files(template: Path = TEMPLATE) -> list[Path]:
    """The template's files, relative to it, sorted."""
    return sorted(p.relative_to(template) for p in template.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def render_driver(title: str, parent: Path, *, template: Path = TEMPLATE) -> tuple[DriverNames, Path]:
    """Render the template for a cart called ``title`` into ``parent/<dist>``; returns the names
    and the new folder. Nothing is written when the name is bad or the folder exists."""
    from ecom import __version__

    names = DriverNames.from_title(title)
    target = Path(parent) / names.dist
    installed = {ep.name for ep in importlib.metadata.entry_points(group="ecom")}
    if names.kind in installed:
        raise ConfigError(f"A driver named {names.kind!r} is already installed (see ecom plugins list): choose another name.")
    if target.exists():
        raise ConfigError(f"{target} already exists: remove it, or choose another --dir or name.")
    if not template.is_dir():
        raise ConfigError(f"The driver template is missing from this ecom install ({template}): reinstall ecom.")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Python, TOML and Markdown, never HTML
    )
    values = {**names.__dict__, "ecom_version": ".".join(__version__.split(".")[:2])}
    rendered = {
        Path(str(rel).replace("{{package}}", names.package)).with_suffix("") if rel.suffix == ".j2" else rel:
        env.get_template(rel.as_posix()).render(values)
        for rel in template_files(template)
    }  # render everything before writing anything
    try:  # write beside the target, then rename: a failure never leaves half a driver
        Path(parent).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{names.dist}-", dir=parent))
        try:
            for rel, text in rendered.items():
                path = staging / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as exc:
        raise ConfigError(f"Cannot write the new driver to {target}: {exc.strerror or exc}.") from exc
    return names, target
