"""A custody named by its mint or by its symbol: `--mint SOL` is the mint the pools config
(migrations/pools.example.toml, what `perp-pool localnet` deploys) gives symbol SOL in that pool;
a base58 public key is taken as the mint itself. The pool must have a custody of the mint either
way (queries.resolve_custody checks it on chain)."""

from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from perp_pool import deploy
from perp_pool.cli.localnet import default_pools_config
from perp_pool.cli.queries import parse_pubkey
from perp_pool.cli.support import usage_error

__all__ = ["config_symbols", "mint_of"]


def config_symbols(pool_name: str, config: Path | None = None) -> dict[str, Pubkey]:
    """{symbol: mint} of the pool named `pool_name` in the pools config ({} if it has none)."""
    path = config or default_pools_config()
    if path is None:
        return {}
    try:
        spec = deploy.load(path)
    except deploy.SpecError:
        return {}
    pool = next((p for p in spec.pools if p.name == pool_name), None)
    return {c.symbol: c.mint.address for c in pool.custodies} if pool is not None else {}


def mint_of(text: str, pool_name: str, what: str = "mint", config: Path | None = None) -> Pubkey:
    """The mint `text` names: a base58 public key, or a custody symbol of the pool in the pools
    config (case-insensitive)."""
    stripped = text.strip()
    try:
        return Pubkey.from_string(stripped)
    except ValueError:
        pass
    symbols = config_symbols(pool_name, config)
    found = next((mint for symbol, mint in symbols.items() if symbol.lower() == stripped.lower()), None)
    if found is not None:
        return found
    if not symbols:
        return parse_pubkey(text, what)  # the usage error of a bad public key
    raise usage_error("InvalidPubkey", f"{what} {text!r} is neither a base58 public key nor a custody symbol of "
                      f"pool {pool_name!r} in the pools config ({', '.join(sorted(symbols))})")
