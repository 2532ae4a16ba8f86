"""Initialise perp_pool and create the pools of a TOML config, idempotently.

    python migrations/deploy.py --config migrations/pools.example.toml [--rpc-url URL] [--keypair FILE]

Each step checks the chain first: the global config, each pool, each custody (and its mint, when
the config gives a mint keypair) is created only if missing. Existing accounts are compared with
the config and differences are reported, never overwritten. Prints one JSON line per step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK

from perp_pool.client import FeeConfig, OracleConfig, PerpPoolClient, load_keypair
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.tokens import MINT_LEN, TOKEN_PROGRAM_ID

# `initial_price` is written in the program's own price units (oracle expo -PRICE_DECIMALS).
PRICE_EXPO = -PRICE_DECIMALS
# How long a deposit's LP stays frozen when a pool's config does not say (GMX's 15 minutes): long
# enough that depositing just before a known event (an oracle update, a large liquidation) and
# redeeming just after exposes the capital to the pool meanwhile.
DEFAULT_LP_COOLDOWN_SEC = 900


def report(step: str, status: str, **fields: object) -> None:
    print(json.dumps({"step": step, "status": status, **{k: str(v) for k, v in fields.items()}}), flush=True)


async def exists(connection: AsyncClient, address: Pubkey) -> bool:
    return (await connection.get_account_info(address, commitment=Confirmed)).value is not None


async def ensure_mint(client: PerpPoolClient, spec: dict, base: Path) -> Pubkey:
    if "mint" in spec:
        return Pubkey.from_string(spec["mint"])
    mint_kp = load_keypair(base / spec["mint_keypair"])
    if await exists(client.connection, mint_kp.pubkey()):
        report("mint", "exists", mint=mint_kp.pubkey())
        return mint_kp.pubkey()
    from solders.system_program import CreateAccountParams, create_account
    from spl.token.instructions import InitializeMintParams, initialize_mint

    rent = (await client.connection.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    await client.send([
        create_account(CreateAccountParams(from_pubkey=client.wallet.pubkey(), to_pubkey=mint_kp.pubkey(),
                                           lamports=rent, space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
        initialize_mint(InitializeMintParams(program_id=TOKEN_PROGRAM_ID, mint=mint_kp.pubkey(),
                                             decimals=int(spec.get("decimals", 6)),
                                             mint_authority=client.wallet.pubkey(), freeze_authority=None)),
    ], [mint_kp])
    report("mint", "created", mint=mint_kp.pubkey())
    return mint_kp.pubkey()


async def deploy(config: dict, base: Path, client: PerpPoolClient) -> None:
    connection = client.connection
    if await exists(connection, client.perpetuals_address):
        perpetuals = await client.fetch_perpetuals()
        report("initialize", "exists", perpetuals=client.perpetuals_address, admin=perpetuals.admin)
        if perpetuals.admin != client.wallet.pubkey():
            raise SystemExit(f"the program's admin is {perpetuals.admin}, not this keypair")
    else:
        await client.initialize()
        report("initialize", "created", perpetuals=client.perpetuals_address, admin=client.wallet.pubkey())

    for pool_spec in config.get("pools", []):
        name = pool_spec["name"]
        pool = client.pool_address(name)
        lp_cooldown_sec = int(pool_spec.get("lp_cooldown_sec", DEFAULT_LP_COOLDOWN_SEC))
        if await exists(connection, pool):
            existing = (await client.fetch_pool(pool)).lp_cooldown_sec
            drift = {"lp_cooldown_sec": (existing, lp_cooldown_sec)} if existing != lp_cooldown_sec else {}
            report("add_pool", "exists", pool=pool, name=name, **({"config_differs": drift} if drift else {}))
        else:
            await client.add_pool(name, lp_cooldown_sec=lp_cooldown_sec)
            report("add_pool", "created", pool=pool, name=name, lp_cooldown_sec=lp_cooldown_sec)
        for spec in pool_spec.get("custodies", []):
            mint = await ensure_mint(client, spec, base)
            custody = client.custody_address(pool, mint)
            oracle = OracleConfig(
                oracle_type=spec.get("oracle_type", "Custom"),
                oracle_authority=Pubkey.from_string(spec["oracle_authority"]) if "oracle_authority" in spec else None,
                oracle_account=Pubkey.from_string(spec["oracle_account"]) if "oracle_account" in spec else None,
                max_price_error_bps=int(spec.get("max_price_error_bps", 100)),
                max_price_age_sec=int(spec.get("max_price_age_sec", 30)),
            )
            fees = FeeConfig(add_liquidity_bps=int(spec.get("add_liquidity_bps", 10)),
                             remove_liquidity_bps=int(spec.get("remove_liquidity_bps", 10)),
                             protocol_share_bps=int(spec.get("protocol_share_bps", 2_000)))
            if await exists(connection, custody):
                c = await client.fetch_custody(custody)
                drift = {k: (getattr(c.fees, k), v) for k, v in fees.__dict__.items() if getattr(c.fees, k) != v}
                report("add_custody", "exists", custody=custody, mint=mint,
                       **({"config_differs": drift} if drift else {}))
            else:
                await client.add_custody(pool, mint, oracle=oracle, fees=fees,
                                         is_stable=bool(spec.get("is_stable", True)))
                report("add_custody", "created", custody=custody, mint=mint)
            if oracle.oracle_type == "Custom" and "initial_price" in spec:
                oracle_address = client.custom_oracle_address(custody)
                if await exists(connection, oracle_address):
                    report("set_custom_oracle_price", "exists", oracle=oracle_address)
                else:
                    price = int(Decimal(spec["initial_price"]).scaleb(-PRICE_EXPO))
                    clock = (await connection.get_account_info(CLOCK, commitment=Confirmed)).value
                    now = int.from_bytes(bytes(clock.data)[32:40], "little", signed=True)
                    await client.set_custom_oracle_price(custody, price=price, expo=PRICE_EXPO, conf=0, ema=price,
                                                         publish_time=now)
                    report("set_custom_oracle_price", "created", oracle=oracle_address, price=price)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--rpc-url")
    parser.add_argument("--keypair")
    args = parser.parse_args(argv)
    config = tomllib.loads(args.config.read_text())
    url = args.rpc_url or config.get("rpc_url") or os.environ.get("ANCHOR_PROVIDER_URL") or "http://127.0.0.1:8899"
    keypair_path = args.keypair or config.get("admin_keypair") or os.environ.get("ANCHOR_WALLET") \
        or "~/.config/solana/id.json"
    admin: Keypair = load_keypair(keypair_path)

    async def run() -> None:
        client = PerpPoolClient.connect(url, admin)
        try:
            await deploy(config, args.config.resolve().parent, client)
        finally:
            await client.close()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
