"""The CLI's config file: a small YAML file shaped like the Solana CLI's (`json_rpc_url`,
`keypair_path`), read and written by hand so the client needs no YAML library.

Only top-level `key: value` scalars are read; `set_values` rewrites just the lines of the keys it
sets and keeps every other line (comments, other keys, nested blocks) as it was.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

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


def _parse_scalar(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        end = raw.rfind('"')
        if end == 0:
            raise ConfigError(f"unterminated string: {raw}")
        return json.loads(raw[:end + 1])  # double-quoted YAML scalars escape like JSON here
    if raw.startswith("'"):
        end = raw.rfind("'")
        if end == 0:
            raise ConfigError(f"unterminated string: {raw}")
        return raw[1:end].replace("''", "'")
    hash_at = raw.find(" #")
    return (raw[:hash_at] if hash_at >= 0 else raw).strip()


def parse(text: str) -> dict[str, str]:
    """Top-level `key: scalar` pairs (nested blocks, lists and comments are skipped)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line[0] in " \t#-" or ":" not in line:
            continue
        key, _, rest = line.partition(":")
        if rest.strip():
            values[key.strip()] = _parse_scalar(rest)
    return values


def _quote(value: str) -> str:
    return json.dumps(value)


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
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    return CliConfig(path, True, values.get(RPC_URL_KEY) or None, values.get(KEYPAIR_KEY) or None)


def set_values(path: Path, updates: dict[str, str]) -> CliConfig:
    """Writes `updates` (top-level keys) into the file, creating it (and its directory) if needed."""
    path = path.expanduser()
    try:
        lines = path.read_text().splitlines() if path.exists() else ["---"]
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    pending = dict(updates)
    for i, line in enumerate(lines):
        if line and line[0] not in " \t#-" and ":" in line:
            key = line.partition(":")[0].strip()
            if key in pending:
                lines[i] = f"{key}: {_quote(pending.pop(key))}"
    lines += [f"{key}: {_quote(value)}" for key, value in pending.items()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write config {path}: {exc}") from exc
    return load(path)
