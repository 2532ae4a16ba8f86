"""migrations/deploy.py creates a pool from a TOML config, and a second run changes nothing."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from solders.keypair import Keypair

from tests.helpers import World, price_usd, snapshot

ROOT = Path(__file__).resolve().parents[1]


def run_deploy(config: Path, rpc_url: str, keypair: Path) -> list[dict]:
    out = subprocess.run([sys.executable, str(ROOT / "migrations" / "deploy.py"), "--config", str(config),
                          "--rpc-url", rpc_url, "--keypair", str(keypair)],
                         check=True, capture_output=True, text=True, timeout=120)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


async def test_deploy_is_idempotent(world: World, rpc_url: str, tmp_path: Path) -> None:
    admin_file = tmp_path / "admin.json"
    admin_file.write_text(json.dumps(list(bytes(world.admin))))
    mint = Keypair()
    (tmp_path / "mint.json").write_text(json.dumps(list(bytes(mint))))
    name = "mig-" + secrets.token_hex(4)
    config = tmp_path / "pools.toml"
    config.write_text(f'''
[[pools]]
name = "{name}"
lp_cooldown_sec = 600
  [[pools.custodies]]
  mint_keypair = "mint.json"
  decimals = 6
  initial_price = "0.999500"
  add_liquidity_bps = 7
''')
    first = run_deploy(config, rpc_url, admin_file)
    assert [(s["step"], s["status"]) for s in first] == [
        ("initialize", "exists"), ("add_pool", "created"), ("mint", "created"), ("add_custody", "created"),
        ("set_custom_oracle_price", "created")]

    c = world.client
    pool = c.pool_address(name)
    custody = c.custody_address(pool, mint.pubkey())
    assert (await c.fetch_custody(custody)).fees.add_liquidity_bps == 7
    assert (await c.fetch_pool(pool)).lp_cooldown_sec == 600
    assert (await c.fetch_custom_oracle(c.custom_oracle_address(custody))).price == price_usd("0.9995")
    accounts = [pool, custody, mint.pubkey(), c.custom_oracle_address(custody), c.lp_mint_address(pool)]
    before = await snapshot(world.connection, accounts)

    second = run_deploy(config, rpc_url, admin_file)
    assert {s["status"] for s in second} == {"exists"}
    assert await snapshot(world.connection, accounts) == before
