"""Charts drawn on the server as SVG with pygal (the only module that imports it), for the
downloads pages: no script, one stylesheet of pygal's whose hash the chart's own CSP names, and
a light and a dark theme (the page picks one with <picture> and prefers-color-scheme).

What a chart shows is decided by the view (labels already in the reader's language, numbers
formatted for the reader's locale); this module only draws it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pygal
from pygal.style import Style

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
THEMES = ("light", "dark")
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
# The site's colours (site.css): text and accent on its light and dark backgrounds.
_STYLES = {
    "light": Style(
        background="transparent",
        plot_background="transparent",
        foreground="#1c1d1f",
        foreground_strong="#1c1d1f",
        foreground_subtle="#565b63",
        guide_stroke_color="#dedbd3",
        major_guide_stroke_color="#b9b5ab",
        colors=("#0a58b8",),
        opacity="1",
        opacity_hover="1",
        font_family=_FONT,
        label_font_size=15,
        major_label_font_size=15,
    ),
    "dark": Style(
        background="transparent",
        plot_background="transparent",
        foreground="#e9e7e3",
        foreground_strong="#e9e7e3",
        foreground_subtle="#aab0b8",
        guide_stroke_color="#32363c",
        major_guide_stroke_color="#4a4f57",
        colors=("#8cb8ff",),
        opacity="1",
        opacity_hover="1",
        font_family=_FONT,
        label_font_size=15,
        major_label_font_size=15,
    ),
}

ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)


@dataclass(frozen=True)
class Chart:
    """An SVG document and the CSP hashes ('sha256-...') of its stylesheets."""

    svg: str
    style_hashes: tuple[str, ...]


def bars(
    labels: Sequence[str],
    values: Sequence[int],
    *,
    title: str,
    theme: str = "light",
    horizontal: bool = False,
    number: Callable[[float], str] = str,
    label_every: int = 1,
    locale: str = "",
) -> Chart:
    """A bar chart of one series: vertical (days) or horizontal (apps, countries); `locale`
    names the number format, for the cache of charts already drawn."""
    key = (tuple(labels), tuple(values), title, theme, horizontal, label_every, locale)
    return _drawn(key, number)


@lru_cache(maxsize=256)
def _drawn(key: tuple[Any, ...], number: Callable[[float], str]) -> Chart:
    # pygal takes tens of milliseconds a chart: the same numbers, the same picture.
    labels, values, title, theme, horizontal, label_every, _locale = key
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = max(140, 40 * len(labels) + 50) if horizontal else 320
    chart = kind(
        style=_STYLES.get(theme, _STYLES["light"]),
        width=800,
        height=height,
        js=[],
        no_prefix=True,
        show_legend=False,
        show_y_guides=not horizontal,
        show_x_guides=horizontal,
        truncate_label=-1,
        x_label_rotation=0,
        show_minor_x_labels=label_every <= 1,
        x_labels_major_every=label_every if label_every > 1 else None,
        print_values=False,
        value_formatter=number,
        margin=12,
        spacing=8,
        no_data_text="",
        include_x_axis=True,
        min_scale=2,
        max_scale=6,
    )
    # pygal stacks a horizontal chart's bars from the bottom up: the first (largest) on top.
    order = slice(None, None, -1) if horizontal else slice(None)
    chart.x_labels = list(labels)[order]
    chart.add("", list(values)[order])
    return _clean(chart.render(), title)


def _clean(rendered: bytes, title: str) -> Chart:
    """Keep what draws the chart: no script, no hidden tooltip layer (its inline style would
    be refused by the CSP), no comments; a <title> for assistive technology."""
    root = ET.fromstring(rendered)
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == f"{{{SVG}}}script" or "style" in child.attrib:
                parent.remove(child)
    styles = []
    for element in root.iter(f"{{{SVG}}}style"):
        # A child combinator would be written as &gt;, and a hash is of the text as parsed:
        # a descendant combinator draws the same here and needs no escaping.
        css = re.sub(r"\s*>\s*", " ", element.text or "")
        element.text = css
        styles.append(css)
    heading = ET.Element(f"{{{SVG}}}title")
    heading.text = title
    root.insert(0, heading)
    root.set("role", "img")
    svg = ET.tostring(root, encoding="unicode")
    hashes = tuple(_hash(css) for css in styles)
    return Chart(svg='<?xml version="1.0" encoding="utf-8"?>\n' + svg, style_hashes=hashes)


def _hash(css: str) -> str:
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
