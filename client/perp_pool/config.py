"""The CLI's config file: a YAML file shaped like the Solana CLI's (`json_rpc_url`, `keypair_path`),
read with PyYAML (`safe_load`).

Any YAML whose top level is a mapping is accepted (other keys, nested blocks, lists and comments
are ignored); `json_rpc_url` and `keypair_path`, when present, must be text. `set_values` rewrites
only the values of the keys it sets, in place, at the positions PyYAML reports for them, and
keeps every other byte (comments, other keys, nested blocks): a YAML dump would drop the comments.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG_PATH = Path("~/.config/perp-pool/config.yml")
DEFAULT_RPC_URL = "http://127.0.0.1:8899"
DEFAULT_KEYPAIR_PATH = Path("~/.config/solana/id.json")

RPC_URL_KEY = "json_rpc_url"
KEYPAIR_KEY = "keypair_path"

# The Solana CLI's `--url` monikers.
RPC_MONIKERS = {
    "localhost": DEFAULT_RPC_URL, "l": DEFAULT_RPC_URL,
    "devnet": "https://api.devnet.solana.com", "d": "https://api.devnet.solana.com",
    "testnet": "https://api.testnet.solana.com", "t": "https://api.testnet.solana.com",
    "mainnet-beta": "https://api.mainnet-beta.solana.com", "m": "https://api.mainnet-beta.solana.com",
}


class ConfigError(ValueError):
    """A config file that cannot be read or written."""


def resolve_rpc_url(value: str) -> str:
    """A moniker (`localhost`, `devnet`, ...) or a URL -> the URL."""
    return RPC_MONIKERS.get(value.strip(), value.strip())


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """`exc` as one line: what is wrong and where (1-based line and column)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        what = ", ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        return f"{what} (line {mark.line + 1}, column {mark.column + 1})" if mark else what
    return f"invalid YAML: {exc}"


def parse(text: str) -> dict[Any, Any]:
    """The file's top-level mapping ({} for an empty file); ConfigError if it is not YAML or its top
    level is not a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"the top level must be a mapping of keys to values, not a {type(data).__name__}")
    return data


def _text_value(values: dict[Any, Any], key: str) -> str | None:
    """`values[key]` as text; None when absent, null or empty; ConfigError for anything but text."""
    value = values.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text (quote it), got {type(value).__name__} {value!r}")
    return value


def _quote(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar


@dataclass(frozen=True)
class CliConfig:
    path: Path
    exists: bool
    json_rpc_url: str | None = None
    keypair_path: str | None = None


def load(path: Path) -> CliConfig:
    path = path.expanduser()
    if not path.exists():
        return CliConfig(path, False)
    try:
        values = parse(path.read_text())
        return CliConfig(path, True, _text_value(values, RPC_URL_KEY), _text_value(values, KEYPAIR_KEY))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc


def with_values(text: str, updates: dict[str, str]) -> str:
    """`text` with each top-level key of `updates` set to its value: a key present is rewritten in
    place (every occurrence), a missing one appended; every other byte is kept."""
    parse(text)  # a readable mapping (or empty), or ConfigError
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[int, int, str]] = []
    present: set[str] = set()
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in updates:
                continue
            present.add(key)
            start, end = value_node.start_mark.index, value_node.end_mark.index
            while end > start and text[end - 1] in " \t\r\n":  # a block value's span ends past its last line
                end -= 1
            new = _quote(updates[key])
            if start == end and (start == 0 or text[start - 1] not in " \t"):
                new = " " + new  # an empty value right after the colon
            edits.append((start, end, new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    missing = [f"{key}: {_quote(value)}" for key, value in updates.items() if key not in present]
    if missing:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "\n".join(missing) + "\n"
    try:
        written = parse(text)
    except ConfigError:
        written = {}
    wrong = [key for key, value in updates.items() if written.get(key) != value]
    if wrong:  # e.g. a flow mapping (`{...}`), which appended lines cannot extend
        raise ConfigError(f"cannot set {', '.join(wrong)} in this file's layout: edit it by hand")
    return text


def set_values(path: Path, updates: dict[str, str]) -> CliConfig:
    """Writes `updates` (top-level keys) into the file, creating it (and its directory) if needed."""
    path = path.expanduser()
    try:
        text = path.read_text() if path.exists() else "---\n"
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    try:
        text = with_values(text, updates)
    except ConfigError as exc:
        raise ConfigError(f"cannot update config {path}: {exc}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write config {path}: {exc}") from exc
    return load(path)
