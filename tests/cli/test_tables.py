"""`pool info` and `positions list` for people: 80 columns with no wrapped cell, numbers whole and
aligned, units in the headers; `--wide` for every column."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from perp_pool.cli import app
from perp_pool.cli.tables import align_points, column
from tests.cli.conftest import RUNNER
from tests.helpers import Market

POOL_LABELS = ["AUM (USD)", "LP price (USD)", "LP supply (LP)", "dead LP supply (LP)", "LP cooldown (s)"]
CUSTODY_LABELS = ["oracle price (USD)", "owned (tokens)", "locked (tokens)", "collateral (tokens)",
                  "protocol fees (tokens)", "insurance fund (tokens)", "order escrow (tokens)",
                  "staker rewards (tokens)", "bad debt (USD)", "utilisation (%)",
                  "borrow rate (%/h)", "long OI (USD)", "short OI (USD)"]


@pytest.fixture
def show(rpc_url: str, admin_keypair_file: Path, tmp_path: Path):
    """`show(*args, columns=80)` -> (text output, the same command's JSON)."""

    def run(*args: str, columns: int = 80) -> tuple[str, dict]:
        base = ["--rpc-url", rpc_url, "--keypair", str(admin_keypair_file), "--config", str(tmp_path / "none.yml")]
        text = RUNNER.invoke(app, base + list(args), env={"COLUMNS": str(columns)})
        assert text.exit_code == 0, text.stderr
        doc = RUNNER.invoke(app, [*base, "--json", *args])
        return text.stdout, json.loads(doc.stdout)

    return run


def units(text: str, decimals: int) -> int:
    return int(Decimal(text.replace(",", "")).scaleb(decimals))


def rows(block: list[str]) -> dict[str, str]:
    """`  label  value  note` lines -> {label: value}."""
    out = {}
    for line in block:
        m = re.match(r"^  (\S.*?)  +(-?[\d,]+(?:\.\d+)?)(?:  +.*)?$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_pool_info_fits_80_columns_with_no_wrapped_cell(show, traded_market: Market) -> None:
    # Interest accrues with the node's clock between two commands, so the AUM shown is bracketed by
    # the JSON read before and the one read after (AUM only grows while prices stand still).
    before = show("pool", "info", traded_market.name)[1]
    out, info = show("pool", "info", traded_market.name)
    lines = out.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, out
    # Every line is a whole title or a whole `label  value` row: a wrapped cell would leave a line
    # that is neither.
    titles = {f"pool {traded_market.name}: {traded_market.pool}", f"LP mint: {traded_market.lp_mint}"}
    for i, c in enumerate(info["custodies"], 1):
        titles.add(f"custody {i} of {len(info['custodies'])}: mint {c['mint']}")
    for line in lines:
        kind_line = line.startswith(("  stable (liquidity and collateral), ", "  market, "))
        ok_line = (not line or line in titles or kind_line
                   or any(line.startswith(f"  {label}  ") for label in POOL_LABELS + CUSTODY_LABELS))
        assert ok_line, f"not a whole row: {line!r}\n{out}"
    # The numbers are whole: each value shown is the JSON's, exactly.
    blocks = "\n".join(lines).split("\n\n")
    head = rows(blocks[0].splitlines())
    assert before["aum_usd"] <= units(head["AUM (USD)"], 6) <= info["aum_usd"]
    assert units(head["LP supply (LP)"], 6) == info["lp_supply"]
    assert int(head["LP cooldown (s)"]) == info["lp_cooldown_sec"]
    for block, c in zip(blocks[1:], info["custodies"], strict=True):
        shown = rows(block.splitlines())
        assert set(shown) == set(CUSTODY_LABELS)
        for label, key in (("owned (tokens)", "owned"), ("locked (tokens)", "locked"),
                           ("collateral (tokens)", "collateral"), ("protocol fees (tokens)", "protocol_fees"),
                           ("order escrow (tokens)", "escrow"), ("staker rewards (tokens)", "stake_rewards")):
            assert units(shown[label], c["decimals"]) == c[key], label
        assert units(shown["long OI (USD)"], 6) == c["long_size_usd"]
        assert units(shown["short OI (USD)"], 6) == c["short_size_usd"]
        # Aligned: in a block, the decimal points of the values are in one column.
        points = {line.index(".", line.index(label) + len(label)) for label in CUSTODY_LABELS
                  for line in block.splitlines() if line.startswith(f"  {label}  ")}
        assert len(points) == 1, block
    # Laid out for 80 columns whatever the terminal: the same lines on a wide one (interest accrues
    # meanwhile, so only the labels are compared).
    wide = show("pool", "info", traded_market.name, columns=200)[0].rstrip("\n").splitlines()
    def labels(text: list[str]) -> list[str]:
        return [re.split(r"\s{2,}", line.strip())[0] for line in text]

    assert labels(wide) == labels(lines) and "AUM (USD)" in labels(lines)


def test_positions_list_fits_80_columns(show, traded_market: Market) -> None:
    out, data = show("positions", "list", "--pool", traded_market.name)
    lines = out.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 80, out
    assert lines[0].startswith(f"positions of {traded_market.name} (2)")
    assert re.match(r"^\s+size\s+PnL\s+leverage\s+entry\s+liq\. price\s*$", lines[1])
    assert re.match(r"^market\s+side\s+\(USD\)\s+\(USD\)\s+\(x\)\s+\(USD\)\s+\(USD\)\s+status\s*$", lines[2])
    body = [line.split() for line in lines[4:]]
    assert len(body) == len(data["positions"])
    for cells, p in zip(body, data["positions"], strict=True):
        market, side, size, _pnl, _lev, entry, _liq, status = cells
        assert (side, units(size, 6), status) == (p["side"], p["size_usd"], "ok")
        assert market == f"{p['market_mint'][:4]}…{p['market_mint'][-4:]}"
        assert units(entry, 9) == p["entry_price"]  # 150.15 and 149.85: whole in 4 places


def test_wide_shows_every_column_and_digit(show, traded_market: Market) -> None:
    out, data = show("positions", "list", "--pool", traded_market.name, "--wide")
    for p in data["positions"]:
        assert p["address"] in out and p["owner"] in out
    header = out.splitlines()[1]
    for column_name in ("position", "owner", "collateral (tokens)", "exit (USD)", "leverage (x)"):
        assert column_name in header
    info_out, info = show("pool", "info", traded_market.name, "--wide")
    assert all(c["mint"] in info_out for c in info["custodies"])
    assert "EMA (USD)" in info_out and "150.000000000" in info_out


def test_columns_are_exact_and_share_their_decimal_places() -> None:
    assert column([1_500_000, 20_000, None], 6) == ["1.50", "0.02", ""]
    assert column([1_234_567, -1_000_000], 6) == ["1.234567", "-1.000000"]
    assert column([1_234_567_891_000], 6, max_places=2) == ["1,234,567.89"]  # truncated
    assert column([-5_000], 6, max_places=2) == ["0.00"]  # no "-0.00"
    assert align_points(["1.5", "10", "100.25"]) == ["1.5 ", "10   ", "100.25"]
