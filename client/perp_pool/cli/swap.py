"""`pool swap` (anyone: one custody's token for another's, at oracle prices, for the dearer of the
two legs' weight-steered fees) and `pool set-weights` (the admin's weight rules of a multi-asset
pool's custodies), registered on the `pool` group."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console

from perp_pool.cli.options import DEFAULT_SLIPPAGE_BPS
from perp_pool.cli.output import Report, short, summarize
from perp_pool.cli.pool import pool_app
from perp_pool.cli.queries import (
    CustodyRef,
    PoolRef,
    ata,
    create_ata_ix,
    fetch_custodies,
    mint_decimals,
    require_token_account,
    resolve_custody,
    resolve_pool,
)
from perp_pool.cli.support import run, usage_error
from perp_pool.cli.symbols import config_symbols, mint_of
from perp_pool.cli.tables import Row, column, print_block
from perp_pool.cli.units import parse_units
from perp_pool.client import PerpPoolClient, SwapQuote, WeightConfig, min_out_after_slippage, weight_bps
from perp_pool.client.multi_asset import weight_config
from perp_pool.client.params import weight_problems
from perp_pool.constants import BPS_POWER, MAX_WEIGHT_FEE_BPS, USD_DECIMALS

__all__ = ["pool_set_weights_command", "pool_swap_command"]


def _pct(bps: int) -> str:
    return column([bps], 2)[0]


@pool_app.command("swap")
def pool_swap_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pool name.")],
    in_text: Annotated[str, typer.Option("--in", help="Mint (or pools-config symbol) of the token paid in.")],
    out_text: Annotated[str, typer.Option("--out", help="Mint (or pools-config symbol) of the token paid out.")],
    amount_text: Annotated[str, typer.Option("--amount", help="Tokens paid in (human units).")],
    min_out: Annotated[str | None, typer.Option("--min-out", help="Explicit minimum out (human units); overrides "
                                                "--slippage-bps.")] = None,
    slippage_bps: Annotated[int, typer.Option("--slippage-bps", min=0, max=BPS_POWER - 1,
                                              help="Accept this many fewer tokens than the quote, in BPS.")]
    = DEFAULT_SLIPPAGE_BPS,
    quote_only: Annotated[bool, typer.Option("--quote-only", help="Show the program's quote; send nothing.")]
    = False,
) -> None:
    """Swap one custody's token for another's in a multi-asset pool.

    The value in is priced at the --in custody's min price, paid out at the --out custody's max
    price, less the fee: the dearer of the two legs' fees, each its custody's swap fee steered by
    its weight (lower when the swap moves it toward its target, higher away). Shows the program's
    quote (fee in BPS, amount out, both weights after against their targets), then swaps unless
    --quote-only. Refused past a custody's max or min weight (TokenWeightOutOfRange); both custodies
    need a weight rule (InvalidSwap)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        receiving = await resolve_custody(client, pool, mint_of(in_text, name, "--in"))
        dispensing = await resolve_custody(client, pool, mint_of(out_text, name, "--out"))
        if receiving.address == dispensing.address:
            raise usage_error("InvalidSwap", "--in and --out name the same custody")
        in_decimals, out_decimals = (await mint_decimals(client, receiving.mint),
                                     await mint_decimals(client, dispensing.mint))
        amount_in = parse_units(amount_text, in_decimals, what="amount")
        before = await client.get_pool_weights(pool.address)
        quote = await client.get_swap_amount_and_fee(pool.address, receiving.mint, dispensing.mint,
                                                     amount_in=amount_in)
        min_amount = (parse_units(min_out, out_decimals, what="minimum out", allow_zero=True)
                      if min_out is not None else min_out_after_slippage(quote.amount_out, slippage_bps))
        legs = {
            "in": _leg(receiving, in_decimals, before.of(receiving.address), quote.receiving_weight_ppb),
            "out": _leg(dispensing, out_decimals, before.of(dispensing.address), quote.dispensing_weight_ppb),
        }
        data: dict[str, Any] = {"command": "pool swap", "pool": str(pool.address), "amount_in": amount_in,
                                "min_amount_out": min_amount, "quote": asdict(quote), "legs": legs}
        if quote_only:
            return Report(data, lambda out: _render_quote(out, pool, data, quote, in_decimals, out_decimals, True))
        funding = await require_token_account(client, receiving.mint, "--in")
        receiving_account = ata(client.wallet.pubkey(), dispensing.mint)
        result = await client.swap(pool.address, receiving.mint, dispensing.mint, amount_in=amount_in,
                                   min_amount_out=min_amount, funding_account=funding,
                                   receiving_account=receiving_account,
                                   before=[create_ata_ix(client, dispensing.mint)])
        summary = summarize(result, "Swapped", pool=pool.address, receiving_account=receiving_account)
        doc = {**data, **summary.report(out_decimals).data}

        def render(out: Console) -> None:
            _render_quote(out, pool, data, quote, in_decimals, out_decimals, False)
            out.print()
            _render_swapped(out, summary.signature, summary.slot, summary.data, in_decimals, out_decimals)

        return Report(doc, render)

    run(ctx, action)


def _render_swapped(out: Console, signature: str, slot: int, e: dict[str, Any], in_decimals: int,
                    out_decimals: int) -> None:
    """The landed swap's `Swapped` event, each amount in its own token's units (--json: every field)."""
    paid, got = column([e["amount_in"]], in_decimals)[0], column([e["amount_out"], e["fee_amount"]], out_decimals)
    print_block(out, f"Swapped  tx {signature} (slot {slot})", [
        Row("paid in (tokens)", paid),
        Row("received (tokens)", got[0]),
        Row("fee (BPS)", str(e["fee_bps"])),
        Row("fee (tokens)", got[1]),
        Row("in-custody weight (%)", _pct(weight_bps(e["receiving_weight_ppb"])), "after"),
        Row("out-custody weight (%)", _pct(weight_bps(e["dispensing_weight_ppb"])), "after"),
        Row("pool AUM (USD)", column([e["pool_aum_usd"]], USD_DECIMALS)[0]),
    ])


def _leg(custody: CustodyRef, decimals: int, now: Any, after_ppb: int) -> dict[str, Any]:
    return {"custody": str(custody.address), "mint": str(custody.mint), "decimals": decimals,
            "weight_bps": now.weight_bps, "weight_after_bps": weight_bps(after_ppb), "weight_after_ppb": after_ppb,
            "target_bps": now.weights.target_bps, "min_bps": now.weights.min_bps, "max_bps": now.weights.max_bps}


def _render_quote(out: Console, pool: PoolRef, data: dict[str, Any], q: SwapQuote, in_decimals: int,
                  out_decimals: int, quote_only: bool) -> None:
    legs = data["legs"]
    amount_in = column([data["amount_in"]], in_decimals)[0]
    out_tokens = column([q.gross_out, q.fee_amount, q.amount_out, data["min_amount_out"]], out_decimals)

    def weight_row(leg: dict[str, Any]) -> str:
        return (f"{_pct(leg['weight_bps'])} -> {_pct(leg['weight_after_bps'])} % (target {_pct(leg['target_bps'])}, "
                f"{_pct(leg['min_bps'])}-{_pct(leg['max_bps'])})")

    symbols = {str(m): sym for sym, m in config_symbols(pool.name).items()}
    names = [symbols.get(legs[k]["mint"]) or short(legs[k]["mint"]) for k in ("in", "out")]
    print_block(out, f"swap quote in pool {pool.name}" + (" (nothing is sent)" if quote_only else "") +
                f"\n  {amount_in} {names[0]} in -> {names[1]} out", [
        Row("value in (USD)", column([q.in_usd], USD_DECIMALS)[0], "at the in-token's min price"),
        Row("gross out (tokens)", out_tokens[0], "at the out-token's max price"),
        Row("fee (BPS)", str(q.fee_bps), "the dearer leg's, steered by its weight"),
        Row("fee (tokens)", out_tokens[1]),
        Row("amount out (tokens)", out_tokens[2]),
        Row("minimum out (tokens)", out_tokens[3]),
    ])
    out.print(f"  in-custody weight   {weight_row(legs['in'])}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"  out-custody weight  {weight_row(legs['out'])}", markup=False, highlight=False, soft_wrap=True)


# ---- the admin's weight rules -------------------------------------------------------------------


def _each(values: list[int], count: int, option: str) -> list[int]:
    """One value per --mint, or one for all of them."""
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise usage_error("InvalidOption", f"give {option} once per --mint ({count}) or once for all, got "
                          f"{len(values)}")
    return values


@pool_app.command("set-weights")
def pool_set_weights_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pool name.")],
    mints: Annotated[list[str], typer.Option("--mint", help="Custody mint (or pools-config symbol); repeat it to "
                                             "set several custodies in one transaction.")],
    target_bps: Annotated[list[int], typer.Option("--target-bps", min=0, max=BPS_POWER,
                                                  help="Target share of the pool's value, BPS (one per --mint).")],
    min_bps: Annotated[list[int], typer.Option("--min-bps", min=0, max=BPS_POWER,
                                               help="Lowest share a redemption or swap may leave, BPS.")],
    max_bps: Annotated[list[int], typer.Option("--max-bps", min=0, max=BPS_POWER,
                                               help="Highest share a deposit or swap may leave, BPS (0 with "
                                               "every other value 0: no weight rule).")],
    tax_bps: Annotated[list[int] | None, typer.Option(
        "--tax-bps", min=0, max=MAX_WEIGHT_FEE_BPS, help="Weight tax, BPS: the extra fee of a move away from the "
        "target at a distance of the whole target (default: unchanged).")] = None,
    swap_bps: Annotated[list[int] | None, typer.Option(
        "--swap-bps", min=0, max=MAX_WEIGHT_FEE_BPS, help="Base fee of each leg of a swap, BPS (default: "
        "unchanged).")] = None,
) -> None:
    """(Admin) Set the weight rules of one or more custodies of a multi-asset pool, in one transaction.

    Each --mint takes its --target-bps, --min-bps and --max-bps (in the same order); --tax-bps and
    --swap-bps once per --mint or once for all (default: unchanged). The pool's targets after the
    change (these custodies' and the others' as they are) must sum to 10,000 BPS, or all be 0:
    the fee steers each custody toward its own target, so targets that do not add up would tax
    every deposit (WeightTargetsNotWhole)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        count = len(mints)
        targets, lows, highs = (_each(v, count, o) for v, o in ((target_bps, "--target-bps"),
                                                                 (min_bps, "--min-bps"), (max_bps, "--max-bps")))
        refs = [await resolve_custody(client, pool, mint_of(m, name)) for m in mints]
        if len({r.address for r in refs}) != count:
            raise usage_error("InvalidOption", "a custody is named twice by --mint")
        taxes = _each(tax_bps, count, "--tax-bps") if tax_bps else [r.account.weights.tax_bps for r in refs]
        swaps = _each(swap_bps, count, "--swap-bps") if swap_bps else [r.account.weights.swap_bps for r in refs]
        wanted = {r.address: WeightConfig(targets[i], lows[i], highs[i], taxes[i], swaps[i])
                  for i, r in enumerate(refs)}
        problems = [f"{short(r.mint)}: {p}" for r in refs for p in weight_problems(wanted[r.address])]
        if problems:
            raise usage_error("InvalidWeightConfig", "\n".join(problems))
        accounts = await fetch_custodies(client, pool.account.custodies)
        after = {k: wanted.get(k, weight_config(accounts[k].weights)) for k in pool.account.custodies}
        total = sum(w.target_bps for w in after.values())
        if total not in (0, BPS_POWER):
            listed = ", ".join(f"{short(accounts[k].mint)} {w.target_bps}" for k, w in after.items())
            raise usage_error("WeightTargetsNotWhole", f"the pool's targets would sum to {total} BPS, not "
                              f"{BPS_POWER} ({listed}): set several custodies at once (repeat --mint)")
        result = await client.send([client.build_set_custody_weights_ix(pool.address, r.address, wanted[r.address])
                                    for r in refs])
        events = [e for e in result.events if e.name == "CustodyWeightsSet"]
        doc = {"command": "pool set-weights", "signature": str(result.signature), "slot": result.slot,
               "pool": str(pool.address), "targets_bps": total,
               "custodies": [{"custody": str(r.address), "mint": str(r.mint), **asdict(wanted[r.address])}
                             for r in refs], "events": len(events)}

        def render(out: Console) -> None:
            out.print(f"[bold green]CustodyWeightsSet[/] x{len(events)}  tx {result.signature} (slot {result.slot})",
                      soft_wrap=True)
            for r in refs:
                w = wanted[r.address]
                out.print(f"  {r.mint}: target {_pct(w.target_bps)} % ({_pct(w.min_bps)}-{_pct(w.max_bps)}), tax "
                          f"{w.tax_bps} BPS, swap {w.swap_bps} BPS", markup=False, highlight=False, soft_wrap=True)

        return Report(doc, render)

    run(ctx, action)
