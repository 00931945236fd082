"""JSON read from outside (API bodies, form parts): nesting is bounded before the parser runs."""

from __future__ import annotations

import json
import re
from typing import Any

# No body or field of this service nests beyond 4 levels; 32 leaves room for any client.
MAX_DEPTH = 32
# A whole string (skipped: brackets inside it are text), a bracket, or a quote never closed.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]|"', re.DOTALL)
_OPENERS, _CLOSERS = frozenset("[{"), frozenset("]}")


class TooDeepError(ValueError):
    """JSON nested deeper than MAX_DEPTH; Python's parser would die of recursion instead."""

    def __init__(self) -> None:
        super().__init__(
            f"nests more than {MAX_DEPTH} levels of brackets, deeper than any field here takes"
        )


def check_depth(text: str) -> None:
    """Raise TooDeepError when the brackets of `text` (outside strings) nest past MAX_DEPTH."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeepError
        elif token in _CLOSERS:
            depth -= 1
        elif token == '"':
            return  # an unterminated string: the parser says what is wrong


def loads(data: str | bytes, **options: Any) -> Any:
    """json.loads, after check_depth; raises ValueError (TooDeepError or a decode error)."""
    if isinstance(data, bytes):
        data = data.decode(json.detect_encoding(data), "surrogatepass")
    check_depth(data)
    return json.loads(data, **options)
