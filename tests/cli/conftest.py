"""Fixtures and helpers of the CLI tests: invoking the app, chain state built by the session's admin."""
from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK
from spl.token.instructions import get_associated_token_address
from typer.testing import CliRunner

from perp_pool.cli import app
from perp_pool.client import FeeConfig, OracleConfig
from perp_pool.math.pricing import Side
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.conftest import rpc_call
from tests.helpers import USDC, Market, World, new_market, price_usd

FEES = FeeConfig()  # 10 bps to add/remove liquidity, open and close; 20 % protocol, 10 % insurance
LIQUIDITY = 100_000 * USDC
WALLET_USDC = 10_000 * USDC
SOL_PRICE = price_usd(150)  # PRICE_DECIMALS, as the markets' oracles publish it
NO_LIMIT = 2**63

RUNNER = CliRunner()


# ---- invoking the CLI -------------------------------------------------------------------------


def write_keypair(path: Path, keypair: Keypair) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    return path


@pytest.fixture(scope="module")
def admin_keypair_file(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_keypair(tmp_path_factory.mktemp("wallets") / "admin.json", world.admin)


@pytest.fixture
def cli(rpc_url: str, admin_keypair_file: Path, tmp_path: Path):
    """`cli(*args, keypair=None, json_mode=True)` -> Result, with an empty config file."""

    def invoke(*args: str, keypair: Path | None = None, json_mode: bool = True):
        base = ["--rpc-url", rpc_url, "--keypair", str(keypair or admin_keypair_file),
                "--config", str(tmp_path / "absent-config.yml")]
        return RUNNER.invoke(app, base + (["--json"] if json_mode else []) + [str(a) for a in args])

    return invoke


def ok(result) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout


def failed(result, exit_code: int = 1) -> dict[str, Any]:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    assert set(doc) == {"error", "code", "message"}
    return doc


# Raw reads name their commitment: without one a node answers at `finalized`, a slot behind.
CONFIRMED = {"commitment": "confirmed"}


def token_balance(rpc_url: str, account: Pubkey) -> int:
    return int(rpc_call(rpc_url, "getTokenAccountBalance", [str(account), CONFIRMED])["result"]["value"]["amount"])


def account_exists(rpc_url: str, address: str) -> bool:
    reply = rpc_call(rpc_url, "getAccountInfo", [address, {"encoding": "base64", **CONFIRMED}])
    return reply["result"]["value"] is not None


def node_clock(rpc_url: str) -> int:
    info = rpc_call(rpc_url, "getAccountInfo", [str(CLOCK), {"encoding": "base64", **CONFIRMED}])["result"]["value"]
    return struct.unpack_from("<q", base64.b64decode(info["data"][0]), 32)[0]


def usdc_ata(owner: Pubkey, m: Market) -> Pubkey:
    return get_associated_token_address(owner, m.usdc.mint)


def market_args(m: Market, side: str = "long") -> list[str]:
    return ["--pool", m.name, "--market", str(m.sol.mint), "--collateral", str(m.usdc.mint), "--side", side]


# ---- chain state ------------------------------------------------------------------------------


async def funded_market(world: World, **kwargs: Any) -> Market:
    """A market with 100k USDC of liquidity from another LP and 10k USDC in the admin's wallet."""
    m = await new_market(world, liquidity=LIQUIDITY, fees=FEES, **kwargs)
    account = await ensure_ata(world.client.transport, world.admin.pubkey(), m.usdc.mint)
    await mint_tokens(world.client.transport, m.usdc.mint, account, WALLET_USDC)
    return m


async def admin_opens(world: World, m: Market, side: Side, collateral: int = 100 * USDC,
                      size: int = 1_500 * USDC) -> None:
    await world.client.open_position(m.pool, m.sol.custody, m.usdc.custody, side,
                                     price_limit=NO_LIMIT if side is Side.LONG else 0, collateral_amount=collateral,
                                     size_usd=size, funding_account=usdc_ata(world.admin.pubkey(), m))


@pytest.fixture
async def market(world: World) -> Market:
    return await funded_market(world)


@pytest.fixture
async def market_with_long(world: World) -> Market:
    m = await funded_market(world)
    await admin_opens(world, m, Side.LONG)
    return m


@pytest.fixture(scope="module")
async def idle_market(world: World) -> Market:
    """Read-only tests: liquidity, no positions."""
    return await funded_market(world)


@pytest.fixture(scope="module")
async def traded_market(world: World) -> Market:
    """Read-only tests: the admin holds a 1,500 USD long and a 1,000 USD short."""
    m = await funded_market(world)
    await admin_opens(world, m, Side.LONG)
    await admin_opens(world, m, Side.SHORT, size=1_000 * USDC)
    return m


@pytest.fixture
async def stale_market(world: World, node_ext) -> Market:
    m = await funded_market(world, oracle=OracleConfig(max_price_age_sec=60))
    # A price cannot be replaced by an older one: the SOL price goes stale as the clock moves on.
    node_ext.warp_clock(61)
    await world.set_price(m.usdc, price=price_usd(1))
    return m


@pytest.fixture
async def keeper_keypair_file(world: World, tmp_path: Path) -> tuple[Keypair, Path]:
    """A funded wallet with no token accounts at all."""
    kp = await world.funded_keypair()
    return kp, write_keypair(tmp_path / "keeper.json", kp)


