"""The CLI on a multi-asset pool (USDC 55 % + SOL 45 %), end to end on the node: `lp deposit` /
`lp withdraw --mint` of the volatile asset, `pool swap` (quote only, sent, refused), `pool info`'s
weights and net exposure, and the admin's `pool set-weights`; custody symbols from the pools
config, offline.

Tests are sync (the CLI runs its own event loop); the program's own quotes they compare with are
asked by `onchain(...)`, a client of its own on a thread of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from perp_pool.cli.support import CliError
from perp_pool.cli.symbols import mint_of
from perp_pool.cli.units import format_units
from perp_pool.cli.weights import fee_leanings
from perp_pool.client import PerpPoolClient, WeightConfig
from perp_pool.client.multi_asset import weight_config
from perp_pool.constants import BPS_POWER
from perp_pool.deploy import load as load_spec
from tests.cli.conftest import failed, ok, token_balance, write_keypair
from tests.helpers import World
from tests.multi_pool_support import SOL_WEIGHTS, USDC_WEIGHTS, MultiPool, fund_wallet, new_multi_pool

ROOT = Path(__file__).resolve().parents[2]
SOL = 10**9
USDC = 10**6


@pytest.fixture(scope="module")
async def multi(world: World) -> MultiPool:
    """Funded at its targets; the admin (the CLI's wallet) holds 20,000 USDC and 100 SOL."""
    m = await new_multi_pool(world)
    await fund_wallet(world, m, world.admin.pubkey(), {"USDC": 20_000 * USDC, "SOL": 100 * SOL})
    return m


T = TypeVar("T")


@pytest.fixture
def onchain(rpc_url: str, world: World) -> Callable[[Callable[[PerpPoolClient], Awaitable[T]]], T]:
    """`onchain(lambda client: client.get_pool_weights(pool))`: the admin's client, its own loop."""

    def call(fn: Callable[[PerpPoolClient], Awaitable[T]]) -> T:
        async def main() -> T:
            client = PerpPoolClient.connect(rpc_url, world.admin)
            try:
                return await fn(client)
            finally:
                await client.close()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, main()).result()

    return call


def wallet_account(world: World, m: MultiPool, symbol: str) -> Pubkey:
    return get_associated_token_address(world.admin.pubkey(), m[symbol].mint)


# ---- pool info ----------------------------------------------------------------------------------


def test_pool_info_shows_the_weights_and_the_net_exposure(cli, onchain, multi: MultiPool) -> None:
    info = ok(cli("pool", "info", multi.name))
    weights = onchain(lambda c: c.get_pool_weights(multi.pool))
    w = info["weights"]
    assert (w["total_owned_usd"], w["targets_bps"], w["has_rules"]) == (weights.total_owned_usd, BPS_POWER, True)
    for row, c, rule in zip(w["custodies"], weights.custodies, (USDC_WEIGHTS, SOL_WEIGHTS), strict=True):
        assert (row["custody"], row["owned"], row["weight_ppb"]) == (str(c.custody), c.owned, c.weight_ppb)
        assert WeightConfig(**{k: row[k] for k in ("target_bps", "min_bps", "max_bps", "tax_bps", "swap_bps")}) == rule
        assert (row["deposit_fee"], row["redemption_fee"]) == fee_leanings(c.weight_ppb, rule.__dict__, True)
        assert (row["net_quantity"], row["net_usd"]) == (c.net_quantity, c.net_usd)
    sol = w["custodies"][1]
    assert sol["net_tokens"] == sol["owned"] and sol["net_usd"] == sol["owned_usd"]  # no positions yet

    text = cli("pool", "info", multi.name, json_mode=False)
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, text.stdout
    assert "weights (targets sum to 100 %)" in text.stdout and "net exposure" in text.stdout
    usdc_row = next(line for line in lines if line.startswith(f"{str(multi['USDC'].mint)[:4]}…"))
    assert "55" in usdc_row and "30-80" in usdc_row


def test_fee_leanings_follow_the_rule() -> None:
    rule = {"target_bps": 5_000, "min_bps": 2_000, "max_bps": 8_000}
    assert fee_leanings(400_000_000, rule, True) == ("toward", "away")  # 40 %: below the target
    assert fee_leanings(600_000_000, rule, True) == ("away", "toward")
    assert fee_leanings(500_000_000, rule, True) == ("away", "away")  # at the target: any move is away
    assert fee_leanings(800_000_000, rule, True) == ("refused", "toward")
    assert fee_leanings(200_000_000, rule, True) == ("toward", "away")  # a redemption pays, never refused
    assert fee_leanings(0, rule, False) == ("flat", "flat")  # the pool owns nothing
    assert fee_leanings(500_000_000, {"target_bps": 0, "min_bps": 0, "max_bps": 0}, True) == ("flat", "flat")


# ---- liquidity in the volatile asset ------------------------------------------------------------


def test_lp_deposit_and_withdraw_sol_by_mint(cli, onchain, rpc_url: str, world: World, multi: MultiPool) -> None:
    sol = multi["SOL"]
    quote = onchain(lambda c: c.get_add_liquidity_amount_and_fee(multi.pool, sol.mint, amount_in=2 * SOL))
    before = token_balance(rpc_url, wallet_account(world, multi, "SOL"))
    deposit = ok(cli("lp", "deposit", "--pool", multi.name, "--mint", str(sol.mint), "--amount", "2"))
    assert deposit["event"] == "LiquidityAdded" and deposit["custody"] == str(sol.custody)
    assert (deposit["data"]["lp_amount_out"], deposit["data"]["fee_bps"]) == (quote.amount_out, quote.fee_bps)
    lp = deposit["data"]["lp_amount_out"]
    withdraw = ok(cli("lp", "withdraw", "--pool", multi.name, "--mint", str(sol.mint), "--lp-amount",
                      format_units(lp, 6), "--wait"))
    assert withdraw["event"] == "LiquidityRemoved" and withdraw["data"]["fee_bps"] > 0
    after = token_balance(rpc_url, wallet_account(world, multi, "SOL"))
    assert after == before - 2 * SOL + withdraw["data"]["amount_out"]


# ---- pool swap ------------------------------------------------------------------------------------


def test_swap_quote_only_sends_nothing(cli, onchain, rpc_url: str, multi: MultiPool) -> None:
    usdc, sol = multi["USDC"], multi["SOL"]
    quote = onchain(lambda c: c.get_swap_amount_and_fee(multi.pool, usdc.mint, sol.mint, amount_in=300 * USDC))
    vaults = [token_balance(rpc_url, a) for a in (usdc.vault, sol.vault)]
    doc = ok(cli("pool", "swap", multi.name, "--in", str(usdc.mint), "--out", str(sol.mint), "--amount", "300",
                 "--quote-only"))
    assert doc["quote"] == quote.__dict__ and "signature" not in doc
    assert doc["legs"]["in"]["weight_after_ppb"] == quote.receiving_weight_ppb
    assert doc["legs"]["out"]["target_bps"] == SOL_WEIGHTS.target_bps
    assert doc["min_amount_out"] == quote.amount_out * (BPS_POWER - 50) // BPS_POWER
    assert [token_balance(rpc_url, a) for a in (usdc.vault, sol.vault)] == vaults
    text = cli("pool", "swap", multi.name, "--in", str(usdc.mint), "--out", str(sol.mint), "--amount", "300",
               "--quote-only", json_mode=False)
    assert text.exit_code == 0, text.stderr
    assert "(nothing is sent)" in text.stdout and "fee (BPS)" in text.stdout and "out-custody weight" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80, text.stdout


def test_swap_pays_the_quote(cli, onchain, rpc_url: str, world: World, multi: MultiPool) -> None:
    usdc, sol = multi["USDC"], multi["SOL"]
    quote = onchain(lambda c: c.get_swap_amount_and_fee(multi.pool, usdc.mint, sol.mint, amount_in=450 * USDC))
    sol_before = token_balance(rpc_url, wallet_account(world, multi, "SOL"))
    doc = ok(cli("pool", "swap", multi.name, "--in", str(usdc.mint), "--out", str(sol.mint), "--amount", "450"))
    assert doc["event"] == "Swapped" and doc["quote"] == quote.__dict__
    assert (doc["data"]["amount_out"], doc["data"]["fee_bps"]) == (quote.amount_out, quote.fee_bps)
    assert token_balance(rpc_url, wallet_account(world, multi, "SOL")) == sol_before + quote.amount_out
    text = cli("pool", "swap", multi.name, "--in", str(usdc.mint), "--out", str(sol.mint), "--amount", "10",
               json_mode=False)
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert any(line.startswith("Swapped  tx ") for line in lines) and "  received (tokens)  " in text.stdout
    assert max(len(line) for line in lines if not line.startswith("Swapped  tx ")) <= 80, text.stdout


def test_swap_refusals(cli, onchain, rpc_url: str, multi: MultiPool) -> None:
    usdc, sol = multi["USDC"], multi["SOL"]
    quote = onchain(lambda c: c.get_swap_amount_and_fee(multi.pool, usdc.mint, sol.mint, amount_in=100 * USDC))
    too_much = format_units(quote.amount_out + 1, 9)
    vaults = [token_balance(rpc_url, a) for a in (usdc.vault, sol.vault)]
    refused = failed(cli("pool", "swap", multi.name, "--in", str(usdc.mint), "--out", str(sol.mint), "--amount",
                         "100", "--min-out", too_much))
    assert refused["error"] == "SlippageExceeded"
    # 200 SOL in (30,000 USD): SOL would be 75 % of the pool, past its 70 % max (a quote needs no tokens).
    past_max = failed(cli("pool", "swap", multi.name, "--in", str(sol.mint), "--out", str(usdc.mint), "--amount",
                          "200", "--quote-only"))
    assert past_max["error"] == "TokenWeightOutOfRange", past_max
    same = failed(cli("pool", "swap", multi.name, "--in", str(sol.mint), "--out", str(sol.mint), "--amount", "1"),
                  exit_code=2)
    assert same["error"] == "InvalidSwap"
    assert [token_balance(rpc_url, a) for a in (usdc.vault, sol.vault)] == vaults


# ---- the admin's weights ------------------------------------------------------------------------


@pytest.fixture
async def unfunded(world: World, tmp_path: Path) -> tuple[MultiPool, Path]:
    """A new pool with the two weight rules and no liquidity, and a funded wallet that is not the admin."""
    return await new_multi_pool(world, fund=False), write_keypair(tmp_path / "stranger.json",
                                                                  await world.funded_keypair())


def test_set_weights_checks_the_targets_and_sets_them_in_one_transaction(cli, onchain, unfunded) -> None:
    m, stranger = unfunded

    def rule(custody: Pubkey) -> WeightConfig:
        return weight_config(onchain(lambda c: c.fetch_custody(custody)).weights)

    usdc, sol = str(m["USDC"].mint), str(m["SOL"].mint)
    alone = failed(cli("pool", "set-weights", m.name, "--mint", usdc, "--target-bps", "6000", "--min-bps", "3000",
                       "--max-bps", "8000"), exit_code=2)
    assert alone["error"] == "WeightTargetsNotWhole" and "sum to 10500 BPS" in alone["message"]
    bad = failed(cli("pool", "set-weights", m.name, "--mint", usdc, "--target-bps", "6000", "--min-bps", "7000",
                     "--max-bps", "8000"), exit_code=2)
    assert bad["error"] == "InvalidWeightConfig"
    mismatched = failed(cli("pool", "set-weights", m.name, "--mint", usdc, "--mint", sol, "--target-bps", "6000",
                            "--target-bps", "4000", "--target-bps", "1", "--min-bps", "0", "--max-bps", "10000"),
                        exit_code=2)
    assert mismatched["error"] == "InvalidOption"
    for custody, expected in ((m["USDC"].custody, USDC_WEIGHTS), (m["SOL"].custody, SOL_WEIGHTS)):
        assert rule(custody) == expected  # untouched
    doc = ok(cli("pool", "set-weights", m.name, "--mint", usdc, "--mint", sol, "--target-bps", "6000",
                 "--target-bps", "4000", "--min-bps", "3000", "--min-bps", "1000", "--max-bps", "9000",
                 "--max-bps", "7000", "--tax-bps", "25"))
    assert (doc["events"], doc["targets_bps"]) == (2, BPS_POWER)
    assert rule(m["USDC"].custody) == WeightConfig(
        6_000, 3_000, 9_000, 25, USDC_WEIGHTS.swap_bps)
    assert rule(m["SOL"].custody) == WeightConfig(
        4_000, 1_000, 7_000, 25, SOL_WEIGHTS.swap_bps)
    refused = failed(cli("pool", "set-weights", m.name, "--mint", usdc, "--mint", sol, "--target-bps", "5000",
                         "--min-bps", "0", "--max-bps", "10000", keypair=stranger))
    assert refused["error"] == "Unauthorized"


# ---- custody symbols (offline) --------------------------------------------------------------------


def test_a_custody_symbol_names_its_mint_in_the_pools_config() -> None:
    example = ROOT / "migrations" / "pools.example.toml"
    spec = load_spec(example)
    multi = spec.pools[1]
    assert multi.name == "multi"
    assert mint_of("SOL", "multi", config=example) == multi.custodies[1].mint.address
    assert mint_of("usdc", "multi", config=example) == multi.custodies[0].mint.address  # any case
    assert mint_of(str(multi.custodies[1].mint.address), "nowhere", config=example) == multi.custodies[1].mint.address
    with pytest.raises(CliError) as info:
        mint_of("ETH", "multi", config=example)
    assert info.value.name == "InvalidPubkey" and "(SOL, USDC)" in info.value.message
    with pytest.raises(CliError):
        mint_of("SOL", "no-such-pool", config=example)  # no symbols: not a public key either
