"""`key=value` log lines, as the keepers and bots write them."""

from __future__ import annotations

from typing import Any

__all__ = ["kv"]


def kv(**fields: Any) -> str:
    """`key=value` pairs for one structured log line (values with spaces are quoted)."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        if not text or any(c.isspace() for c in text) or '"' in text:
            text = '"' + text.replace('"', "'") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)
