"""LP tranches from the command line: `lp deposit|withdraw|unlock --tranche`, the tranche block of
`pool info`, `pool stress`, the admin's `pool add-senior-tranche` / `pool set-tranche-config`, and
the tranche errors as one line saying what to do.

The JSON numbers are the view's (`get_tranche_state`), read around the command: the senior index
grows with the node's clock, so a command's numbers are compared with the view's read in the same
second (retried until the two reads around it agree).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from perp_pool import failures
from perp_pool.cli import app
from perp_pool.cli.output import jsonable
from perp_pool.client import PerpPoolClient, load_keypair
from perp_pool.constants import BPS_POWER, SENIOR_INDEX_POWER, USD_POWER
from perp_pool.failures import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE
from perp_pool.math.liquidity import lp_token_price_usd
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.tokens import ensure_ata, mint_tokens
from tests.cli.conftest import FEES, RUNNER, WALLET_USDC, account_exists, failed, ok, token_balance, usdc_ata
from tests.conftest import rpc_call
from tests.helpers import USDC, Market, World, new_market, price_usd

RATE_BPS, RATIO_BPS = 500, 30_000  # 5 % a year, senior NAV at most 3x junior NAV
U64_MAX = 2**64 - 1


def one_line(result: Any, exit_code: int, name: str) -> str:
    """The failure's single stderr line (nothing on stdout), starting `error: <name>`."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {name}"), result.stderr
    return lines[0]


# ---- chain state ------------------------------------------------------------------------------


async def tranched_market(world: World, *, junior: int, senior: int = 0, insurance: int = 0,
                          ratio_bps: int = RATIO_BPS, wallet: int = WALLET_USDC) -> Market:
    """A market with a senior tranche: `junior` USDC deposited by another LP (with the dead
    shares), `senior` by a third, `insurance` in the USDC insurance fund, and `wallet` USDC in
    the admin's (the CLI's) wallet."""
    m = await new_market(world, liquidity=junior, fees=FEES, tranches=(RATE_BPS, ratio_bps))
    c = world.client
    admin_usdc = await ensure_ata(c.transport, world.admin.pubkey(), m.usdc.mint)
    await mint_tokens(c.transport, m.usdc.mint, admin_usdc, wallet + insurance)
    if insurance:
        await c.top_up_insurance_fund(m.pool, m.usdc.custody, amount=insurance, funding_account=admin_usdc)
    if senior:
        w = await world.new_wallet(m.usdc, tokens=senior)
        lp = await ensure_ata(c.transport, w.pubkey, c.lp_mint_address(m.pool, Tranche.SENIOR))
        await w.client.add_liquidity(m.pool, m.usdc.custody, amount_in=senior, funding_account=w.token_account,
                                     lp_token_account=lp, min_lp_amount_out=0, tranche=Tranche.SENIOR)
    return m


@pytest.fixture(scope="module")
async def tranched(world: World) -> Market:
    """Read-only tests: 20,000 USDC junior, 40,000 senior, 500 in the insurance fund, no positions."""
    return await tranched_market(world, junior=20_000 * USDC, senior=40_000 * USDC, insurance=500 * USDC)


@pytest.fixture
async def small_tranched(world: World) -> Market:
    """2,000 USDC junior from another LP (room for 6,000 senior at the 3x limit), 20,000 USDC in
    the wallet."""
    return await tranched_market(world, junior=2_000 * USDC, wallet=20_000 * USDC)


def senior_mint(world: World, m: Market) -> Pubkey:
    return world.client.lp_mint_address(m.pool, Tranche.SENIOR)


def view(rpc_url: str, keypair: Path, pool: Pubkey, **stress: int) -> dict[str, Any]:
    """`get_tranche_state` as JSON, from a client of its own (the CLI tests are sync)."""

    async def read() -> dict[str, Any]:
        client = PerpPoolClient.connect(rpc_url, load_keypair(keypair))
        try:
            return dict(jsonable(await client.get_tranche_state(pool, **stress)))
        finally:
            await client.close()

    return asyncio.run(read())


def same_second(rpc_url: str, keypair: Path, pool: Pubkey, command: Any, **stress: int) -> tuple[Any, dict]:
    """(the command's result, the view read before and after it, identical)."""
    for _ in range(10):
        before = view(rpc_url, keypair, pool, **stress)
        result = command()
        if view(rpc_url, keypair, pool, **stress) == before:
            return result, before
    pytest.fail("the view never read the same twice around the command")


def past_slot(rpc_url: str, slot: int) -> None:
    """Waits until the node has moved past `slot` (what ends a 0 s LP cooldown)."""
    deadline = time.monotonic() + 10
    while rpc_call(rpc_url, "getSlot", [{"commitment": "confirmed"}])["result"] <= slot:
        assert time.monotonic() < deadline, "the node did not move on"
        time.sleep(0.02)


def units(text: str, decimals: int) -> int:
    return int(Decimal(text.replace(",", "")).scaleb(decimals))


# ---- lp deposit / withdraw / unlock --tranche ----------------------------------------------------


def test_a_senior_deposit_creates_the_senior_lp_account_and_withdraws(cli, world: World, rpc_url: str,
                                                                       small_tranched: Market) -> None:
    m, me = small_tranched, world.admin.pubkey()
    mint = senior_mint(world, m)
    account = get_associated_token_address(me, mint)
    assert not account_exists(rpc_url, str(account))
    deposit = ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "1000",
                     "--tranche", "senior"))
    data = deposit["data"]
    assert (deposit["tranche"], data["tranche"], data["lp_token_mint"]) == ("senior", "senior", str(mint))
    assert deposit["lp_token_account"] == str(account)
    # An empty senior tranche is priced at its index: about 1 USD per LP (the fee stays in the pool).
    assert token_balance(rpc_url, account) == data["lp_amount_out"] >= deposit["min_lp_amount_out"] > 0
    withdrawn = ok(cli("lp", "withdraw", "--pool", m.name, "--mint", m.usdc.mint, "--lp-amount", "500",
                       "--tranche", "senior", "--wait"))
    assert (withdrawn["tranche"], withdrawn["data"]["tranche"]) == ("senior", "senior")
    assert withdrawn["data"]["lp_amount_in"] == 500 * USDC
    assert token_balance(rpc_url, account) == data["lp_amount_out"] - 500 * USDC


def test_the_default_tranche_is_the_junior(cli, world: World, rpc_url: str, small_tranched: Market) -> None:
    m = small_tranched
    doc = ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "100"))
    assert (doc["tranche"], doc["data"]["tranche"], doc["data"]["lp_token_mint"]) == ("junior", "junior",
                                                                                    str(m.lp_mint))
    past_slot(rpc_url, doc["slot"])
    unlocked = ok(cli("lp", "unlock", "--pool", m.name, "--tranche", "junior"))
    assert unlocked["event"] == "LpUnlocked"
    doc = ok(cli("lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "100", "--tranche",
                 "senior"))
    account = get_associated_token_address(world.admin.pubkey(), senior_mint(world, m))
    assert doc["lp_token_account"] == str(account)
    past_slot(rpc_url, doc["slot"])
    assert ok(cli("lp", "unlock", "--pool", m.name, "--tranche", "senior"))["event"] == "LpUnlocked"


@pytest.mark.parametrize("command", ["deposit", "withdraw", "unlock"])
def test_senior_on_a_pool_without_tranches_is_refused_by_name(cli, idle_market: Market, command: str) -> None:
    args = {"deposit": ["--mint", str(idle_market.usdc.mint), "--amount", "10"],
            "withdraw": ["--mint", str(idle_market.usdc.mint), "--lp-amount", "10"], "unlock": []}[command]
    doc = failed(cli("lp", command, "--pool", idle_market.name, *args, "--tranche", "senior"), EXIT_NOT_FOUND)
    assert doc["error"] == "NoSeniorTranche"
    assert doc["message"].startswith(f"pool {idle_market.name!r} has no senior tranche: all its LP is junior")
    line = one_line(cli("lp", command, "--pool", idle_market.name, *args, "--tranche", "senior", json_mode=False),
                    EXIT_NOT_FOUND, "NoSeniorTranche")
    assert "leave out --tranche" in line


def test_an_unknown_tranche_is_bad_input(cli, small_tranched: Market) -> None:
    doc = failed(cli("lp", "deposit", "--pool", small_tranched.name, "--mint", small_tranched.usdc.mint,
                     "--amount", "10", "--tranche", "mezzanine"), EXIT_USAGE)
    assert doc["error"] == "UsageError" and "mezzanine" in doc["message"]


def test_the_coverage_limit_refuses_a_senior_deposit_and_a_junior_withdrawal(cli, world: World, rpc_url: str,
                                                                             small_tranched: Market) -> None:
    """2,000 junior (another LP's) + 1,000 junior (the wallet's) allow about 9,000 senior at 3x:
    8,000 goes in; 2,000 more would not; nor would the wallet's junior withdrawal (about 2,000
    left x 3 < 8,000)."""
    m = small_tranched
    deposit = ["lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint]
    junior = ok(cli(*deposit, "--amount", "1000"))["data"]["lp_amount_out"]
    ok(cli(*deposit, "--amount", "8000", "--tranche", "senior"))
    refused = failed(cli(*deposit, "--amount", "2000", "--tranche", "senior"), EXIT_FAILED)
    assert refused["error"] == "CoverageLimitExceeded" and refused["code"] == 6050
    assert "the senior tranche may be at most the pool's coverage limit times the junior NAV" in refused["message"]
    lp = str(Decimal(junior).scaleb(-6))
    refused = failed(cli("lp", "withdraw", "--pool", m.name, "--mint", m.usdc.mint, "--lp-amount", lp, "--wait"))
    assert refused["error"] == "CoverageLimitExceeded"
    line = one_line(cli(*deposit, "--amount", "2000", "--tranche", "senior", json_mode=False), EXIT_FAILED,
                    "CoverageLimitExceeded (6050)")
    assert "`perp-pool pool info POOL` shows both" in line
    # Nothing moved by the refusals.
    assert token_balance(rpc_url, usdc_ata(world.admin.pubkey(), m)) == 20_000 * USDC - 9_000 * USDC


async def test_a_wiped_out_junior_tranche(cli, world: World, rpc_url: str, admin_keypair_file: Path) -> None:
    """1,000 junior, 2,000 senior (limit 4x); a short of 2,500 USD with SOL halving owes its
    trader 1,250: more than the junior NAV, so junior LP has no price (JuniorTrancheWipedOut), the
    senior tranche takes the rest, and the ratio is unbounded."""
    m = await tranched_market(world, junior=1_000 * USDC, senior=2_000 * USDC, ratio_bps=40_000)
    trader = await world.new_wallet(m.usdc, tokens=200 * USDC)
    await trader.client.open_position(m.pool, m.sol.custody, m.usdc.custody, Side.SHORT, price_limit=0,
                                      collateral_amount=100 * USDC, size_usd=2_500 * USDC,
                                      funding_account=trader.token_account)
    await world.set_price(m.sol, price=price_usd(75))
    doc = await asyncio.to_thread(cli, "lp", "deposit", "--pool", m.name, "--mint", m.usdc.mint, "--amount", "10")
    refused = failed(doc)
    assert refused["error"] == "JuniorTrancheWipedOut"
    assert "senior LP can still be withdrawn" in refused["message"]
    info = ok(await asyncio.to_thread(cli, "pool", "info", m.name))["tranches"]
    assert (info["junior_nav_min_usd"], info["senior_to_junior_bps"], info["junior_price_usd"]) == (0, U64_MAX, 0)
    assert 0 < info["senior_nav_min_usd"] < info["senior_target_usd"]
    text = (await asyncio.to_thread(cli, "pool", "info", m.name, json_mode=False)).stdout
    assert re.search(r"^  senior / junior \(x\)\s+-\s+limit 4\.00: junior NAV is 0$", text, flags=re.M), text
    stress = await asyncio.to_thread(cli, "pool", "stress", m.name, "--trader-profit", "100", json_mode=False)
    assert "the junior tranche had nothing left; the senior loses 100.00 USD" in stress.stdout
    assert "senior / junior: unbounded now, unbounded after (limit 4.00x)" in stress.stdout


# ---- pool info ----------------------------------------------------------------------------------


def test_pool_info_json_has_every_number_of_the_view(cli, rpc_url: str, admin_keypair_file: Path,
                                                     tranched: Market, world: World) -> None:
    info, state = same_second(rpc_url, admin_keypair_file, tranched.pool, lambda: ok(cli("pool", "info",
                                                                                           tranched.name)))
    t = info["tranches"]
    assert info["tranched"] is True and t["senior_lp_mint"] == str(senior_mint(world, tranched))
    del state["stress"]
    assert {k: t[k] for k in state} == state and set(t) == {"senior_lp_mint", *state}
    # What those numbers are: the insurance fund and both deposits (less their fees), at 5 % and 3x.
    assert (t["senior_rate_bps"], t["max_senior_junior_ratio_bps"], t["tranched"]) == (RATE_BPS, RATIO_BPS, True)
    assert t["insurance_fund_usd"] >= 500 * USDC
    assert t["junior_nav_min_usd"] + t["senior_nav_min_usd"] == t["aum_min_usd"] == info["aum_usd"]
    target = t["senior_supply"] * t["senior_index"] // SENIOR_INDEX_POWER
    assert t["senior_nav_min_usd"] == t["senior_target_usd"] == target
    assert t["senior_to_junior_bps"] == t["senior_nav_min_usd"] * BPS_POWER // t["junior_nav_min_usd"]
    assert t["junior_price_usd"] == info["lp_price_usd"]
    assert t["junior_supply"] == info["lp_supply"] + info["dead_lp_supply"]
    assert SENIOR_INDEX_POWER <= t["senior_index"] and t["senior_price_usd"] >= USD_POWER


def test_pool_info_without_tranches_says_so_in_json_only(cli, idle_market: Market) -> None:
    info = ok(cli("pool", "info", idle_market.name))
    assert (info["tranched"], info["tranches"]) == (False, None)
    text = cli("pool", "info", idle_market.name, json_mode=False).stdout
    assert "tranche" not in text


TRANCHE_LABELS = ["senior rate (%/year)", "senior index (USD/LP)", "senior target (USD)", "junior NAV (USD)",
                  "senior NAV (USD)", "junior LP price (USD)", "senior LP price (USD)", "junior LP supply (LP)",
                  "senior LP supply (LP)", "senior / junior (x)", "insurance fund (USD)"]


def test_pool_info_shows_the_tranches_in_80_columns(rpc_url: str, admin_keypair_file: Path, tmp_path: Path,
                                                    tranched: Market, world: World) -> None:
    base = ["--rpc-url", rpc_url, "--keypair", str(admin_keypair_file), "--config", str(tmp_path / "none.yml")]

    def text() -> str:
        result = RUNNER.invoke(app, [*base, "pool", "info", tranched.name], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.stderr
        return result.stdout

    out, t = same_second(rpc_url, admin_keypair_file, tranched.pool, text)
    lines = out.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, out
    blocks = "\n".join(lines).split("\n\n")
    head, block = blocks[0].splitlines(), blocks[1].splitlines()
    assert re.match(r"^  LP price \(USD\)\s+[\d.,]+\s+the junior tranche's$", head[3]), head
    assert block[0] == f"tranches: senior LP mint {senior_mint(world, tranched)}"
    assert block[1] == "  losses: bad debt to the insurance fund, then junior NAV down to 0, then senior"
    shown = {}
    for line in block[2:]:
        match = re.match(r"^  (\S.*?)  +(-|[\d,]+\.\d+)(?:  +(.*))?$", line)
        assert match, f"not a whole row: {line!r}\n{out}"
        shown[match.group(1)] = (match.group(2), match.group(3))
    assert list(shown) == TRANCHE_LABELS
    # Whole numbers: each value is the view's, every digit.
    for label, key, decimals in (("senior rate (%/year)", "senior_rate_bps", 2),
                                 ("senior index (USD/LP)", "senior_index", 12),
                                 ("senior target (USD)", "senior_target_usd", 6),
                                 ("junior NAV (USD)", "junior_nav_min_usd", 6),
                                 ("senior NAV (USD)", "senior_nav_min_usd", 6),
                                 ("junior LP price (USD)", "junior_price_usd", 6),
                                 ("senior LP price (USD)", "senior_price_usd", 6),
                                 ("junior LP supply (LP)", "junior_supply", 6),
                                 ("senior LP supply (LP)", "senior_supply", 6),
                                 ("senior / junior (x)", "senior_to_junior_bps", 4),
                                 ("insurance fund (USD)", "insurance_fund_usd", 6)):
        assert units(shown[label][0], decimals) == t[key], label
    assert shown["senior / junior (x)"][1] == "limit 3.00"
    # Aligned: the decimal points of the block's values are in one column.
    points = {line.index(".", len(label) + 4) for line in block[2:] for label in TRANCHE_LABELS
              if line.startswith(f"  {label}  ")}
    assert len(points) == 1, "\n".join(block)


# ---- pool stress ------------------------------------------------------------------------------------


def test_pool_stress_json_is_the_views_outcome(cli, rpc_url: str, admin_keypair_file: Path, tranched: Market) -> None:
    stress = {"trader_profit_usd": 3_000 * USDC, "bad_debt_usd": 400 * USDC}
    doc, state = same_second(rpc_url, admin_keypair_file, tranched.pool,
                             lambda: ok(cli("pool", "stress", tranched.name, "--trader-profit", "3000",
                                            "--bad-debt", "400")), **stress)
    assert {k: doc[k] for k in state} == state
    assert (doc["trader_profit_usd"], doc["bad_debt_usd"]) == (3_000 * USDC, 400 * USDC)
    s = doc["stress"]
    # The cascade: 400 of bad debt from the insurance fund (it holds 500), 3,000 from the junior.
    assert (s["insurance_draw_usd"], s["junior_loss_usd"], s["senior_loss_usd"]) == (400 * USDC, 3_000 * USDC, 0)
    assert s["insurance_after_usd"] == doc["insurance_fund_usd"] - 400 * USDC
    assert s["junior_nav_after_usd"] == doc["junior_nav_min_usd"] - 3_000 * USDC
    assert s["senior_nav_after_usd"] == doc["senior_nav_min_usd"]
    after = doc["after"]
    assert after["junior_price_usd"] == lp_token_price_usd(s["junior_nav_after_usd"], doc["junior_supply"])
    assert after["senior_price_usd"] == lp_token_price_usd(s["senior_nav_after_usd"], doc["senior_supply"])
    assert after["senior_to_junior_bps"] == s["senior_nav_after_usd"] * BPS_POWER // s["junior_nav_after_usd"]


def test_pool_stress_past_the_junior_reaches_the_senior(cli, tranched: Market) -> None:
    doc = ok(cli("pool", "stress", tranched.name, "--bad-debt", "30000"))
    s = doc["stress"]
    assert s["insurance_after_usd"] == 0 and s["junior_nav_after_usd"] == 0
    assert s["junior_loss_usd"] == doc["junior_nav_min_usd"]
    assert s["insurance_draw_usd"] + s["junior_loss_usd"] + s["senior_loss_usd"] == 30_000 * USDC
    assert doc["after"]["senior_to_junior_bps"] == U64_MAX


STRESS_ROWS = ["insurance fund", "junior NAV", "senior NAV", "junior LP price", "senior LP price"]


def test_pool_stress_table_fits_80_columns(rpc_url: str, admin_keypair_file: Path, tmp_path: Path,
                                           tranched: Market) -> None:
    base = ["--rpc-url", rpc_url, "--keypair", str(admin_keypair_file), "--config", str(tmp_path / "none.yml")]
    args = ["pool", "stress", tranched.name, "--trader-profit", "3000", "--bad-debt", "400"]

    def both() -> tuple[str, dict]:
        text = RUNNER.invoke(app, [*base, *args], env={"COLUMNS": "80"})
        assert text.exit_code == 0, text.stderr
        return text.stdout, json.loads(RUNNER.invoke(app, [*base, "--json", *args]).stdout)

    (out, doc), _ = same_second(rpc_url, admin_keypair_file, tranched.pool, both,
                                trader_profit_usd=3_000 * USDC, bad_debt_usd=400 * USDC)
    lines = out.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, out
    assert lines[0] == f"stress test of pool {tranched.name} (nothing is sent)"
    assert lines[1] == "  trader profit 3,000.00 USD, bad debt 400.00 USD"
    assert lines[2] == "  losses: bad debt to the insurance fund, then junior NAV down to 0, then senior"
    # Right-aligned: in each column, the decimal points line up.
    table_lines = [line for line in lines if " ".join(line.split()[:-3]) in STRESS_ROWS]
    points = {tuple(m.start() + m.group().index(".") for m in list(re.finditer(r"\S+", line))[-3:])
              for line in table_lines}
    assert len(table_lines) == 5 and len(points) == 1, out
    rows = {}
    for line in lines:
        words = line.split()
        label = " ".join(words[:-3])
        if label in STRESS_ROWS:
            rows[label] = [units(c, 6) for c in words[-3:]]
    assert list(rows) == STRESS_ROWS
    s, after = doc["stress"], doc["after"]
    assert rows["insurance fund"] == [doc["insurance_fund_usd"], s["insurance_draw_usd"], s["insurance_after_usd"]]
    assert rows["junior NAV"] == [doc["junior_nav_min_usd"], s["junior_loss_usd"], s["junior_nav_after_usd"]]
    assert rows["senior NAV"] == [doc["senior_nav_min_usd"], s["senior_loss_usd"], s["senior_nav_after_usd"]]
    assert rows["junior LP price"][::2] == [doc["junior_price_usd"], after["junior_price_usd"]]
    assert rows["senior LP price"][::2] == [doc["senior_price_usd"], after["senior_price_usd"]]
    assert lines[-2].startswith("senior / junior: ") and lines[-2].endswith(" after (limit 3.00x)")
    assert lines[-1] == "the junior tranche absorbs the rest; the senior is untouched"


def test_pool_stress_of_a_pool_without_tranches(cli, idle_market: Market) -> None:
    doc = ok(cli("pool", "stress", idle_market.name, "--trader-profit", "1000"))
    assert doc["tranched"] is False and doc["stress"]["junior_loss_usd"] == 1_000 * USDC
    assert doc["stress"]["senior_nav_after_usd"] == doc["senior_supply"] == 0
    out = cli("pool", "stress", idle_market.name, "--trader-profit", "1000", json_mode=False).stdout
    assert "losses: bad debt to the insurance fund, then the LPs (no senior tranche)" in out
    assert "LP NAV" in out and "LP price" in out and "senior" not in out.split("\n", 3)[3]
    assert out.rstrip().endswith("the LPs lose 1,000.00 USD")


def test_pool_stress_input_is_checked(cli, tranched: Market) -> None:
    doc = failed(cli("pool", "stress", tranched.name, "--bad-debt", "-5"), EXIT_USAGE)
    assert doc["error"] in ("InvalidAmount", "UsageError")
    doc = failed(cli("pool", "stress", tranched.name, "--trader-profit", "1.0000001"), EXIT_USAGE)
    assert doc["error"] == "InvalidAmount" and "more than 6 decimal places" in doc["message"]
    assert failed(cli("pool", "stress", "no-such-pool"), EXIT_NOT_FOUND)["error"] == "PoolNotFound"


# ---- the admin's set-up ------------------------------------------------------------------------------


async def test_admin_adds_a_senior_tranche_and_changes_its_terms(cli, world: World) -> None:
    name = "tr-" + secrets.token_hex(4)
    await world.client.add_pool(name, lp_cooldown_sec=0)
    pool = world.client.pool_address(name)

    def run(*args: str) -> Any:
        return asyncio.to_thread(cli, *args)

    added = ok(await run("pool", "add-senior-tranche", name, "--rate-bps", "500",
                         "--max-senior-junior-ratio-bps", "40000",
                         "--senior-deposit-ratio-bps", "30000"))
    assert added["event"] == "SeniorTrancheAdded"
    assert (added["data"]["rate_bps"], added["data"]["max_senior_junior_ratio_bps"]) == (500, 40_000)
    assert added["data"]["senior_lp_token_mint"] == str(world.client.lp_mint_address(pool, Tranche.SENIOR))
    account = await world.client.fetch_pool(pool)
    assert (account.senior.rate_bps, account.senior.max_senior_junior_ratio_bps) == (500, 40_000)
    # Only the rate: the coverage limit stays.
    changed = ok(await run("pool", "set-tranche-config", name, "--rate-bps", "300"))
    assert (changed["data"]["old_rate_bps"], changed["data"]["rate_bps"]) == (500, 300)
    assert changed["data"]["max_senior_junior_ratio_bps"] == 40_000
    changed = ok(await run("pool", "set-tranche-config", name, "--max-senior-junior-ratio-bps", "20000",
                           "--senior-deposit-ratio-bps", "15000"))
    account = await world.client.fetch_pool(pool)
    assert (account.senior.rate_bps, account.senior.max_senior_junior_ratio_bps) == (300, 20_000)
    # Twice: refused, the line says why and what to do.
    doc = failed(await run("pool", "add-senior-tranche", name, "--rate-bps", "500",
                           "--max-senior-junior-ratio-bps", "40000", "--senior-deposit-ratio-bps", "30000"))
    assert doc["error"] == "TrancheSetupNotAllowed"
    assert doc["message"].startswith(f"pool {name!r} already has a senior tranche") and "set-tranche-config" in \
        doc["message"]
    assert failed(await run("pool", "set-tranche-config", name), EXIT_USAGE)["error"] == "NothingToSet"
    out_of_range = failed(await run("pool", "set-tranche-config", name, "--rate-bps", "5001"), EXIT_USAGE)
    assert out_of_range["error"] == "UsageError" and "--rate-bps" in out_of_range["message"]


def test_tranches_are_set_up_before_any_lp(cli, idle_market: Market) -> None:
    line = one_line(cli("pool", "add-senior-tranche", idle_market.name, "--rate-bps", "500",
                        "--max-senior-junior-ratio-bps", "40000",
                        "--senior-deposit-ratio-bps", "30000", json_mode=False), EXIT_FAILED,
                    "TrancheSetupNotAllowed")
    assert "issued no LP yet: create a new pool with one (deploy config: [pools.tranches])" in line
    doc = failed(cli("pool", "set-tranche-config", idle_market.name, "--rate-bps", "100"), EXIT_NOT_FOUND)
    assert doc["error"] == "NoSeniorTranche"


async def test_the_program_refusal_of_a_config_reads_as_one_line(world: World, idle_market: Market) -> None:
    """InvalidTrancheConfig (the CLI checks its bounds first; the client and the deploy do not)."""
    with pytest.raises(Exception) as info:
        await world.client.set_tranche_config(idle_market.pool, rate_bps=100, max_senior_junior_ratio_bps=10_000,
                                              senior_deposit_ratio_bps=10_000)
    f = failures.describe(info.value)
    assert (f.name, f.exit_code) == ("InvalidTrancheConfig", EXIT_FAILED)
    assert f.message.startswith("Invalid tranche configuration") and "on a pool that has a senior tranche" in f.message
