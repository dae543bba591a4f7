"""The reports' templates (graders/templates/): one Jinja2 environment, every value escaped for HTML and SVG alike."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


@functools.cache
def environment() -> Environment:
    """Templates read from the package (a wheel carries them as package data); a missing value is an error, not
    an empty string; block tags leave no blank line behind."""
    return Environment(
        loader=PackageLoader("graders", "templates"),
        autoescape=True,  # the templates are HTML and SVG: what a client sent is text, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> Markup:
    """Template `name` rendered with `context`: markup, so that another template includes it as it is."""
    return Markup(environment().get_template(name).render(**context))
