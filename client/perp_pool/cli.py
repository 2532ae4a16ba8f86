"""`perp-pool`: the operator, LP and trader command line for perp_pool.

Amounts are typed in human units and converted exactly with the token's decimals (USD sizes and
prices with 6); `--json` prints exactly one JSON document per command (integers in base units;
see perp_pool.cli_support). Program errors print as one line (or `{"error": ...}`), exit code 1.

    perp-pool pool info main
    perp-pool --json positions list --pool main --verify
    perp-pool lp deposit --pool main --mint <USDC> --amount 100.5
    perp-pool lp unlock --pool main
    perp-pool trade open --pool main --market <SOL> --collateral <USDC> --side long --amount 100 --size 1500
    perp-pool oracle set --pool main --mint <SOL> --price 151.25
    perp-pool keeper liquidate --pool main --metrics-port 9100
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Optional

import typer
from anchorpy.error import AccountDoesNotExistError
from rich.console import Console
from rich.table import Table
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool import config as cli_config
from perp_pool.cli_queries import (
    CustodyRef,
    PoolRef,
    ata,
    create_ata_ix,
    entry_price_now,
    list_positions,
    mint_decimals,
    oracle_type_name,
    parse_pubkey,
    pool_info,
    require_token_account,
    resolve_custody,
    resolve_pool,
    side_of,
    unix_now,
)
from perp_pool.cli_support import (
    CliError,
    JsonAwareGroup,
    Report,
    Settings,
    render_mapping,
    run,
    run_offline,
    short,
    summarize,
    usage_error,
)
from perp_pool.cli_units import (
    format_bps_multiple,
    format_price,
    format_rate_percent,
    format_units,
    format_usd,
    parse_leverage_bps,
    parse_price,
    parse_units,
    parse_usd,
)
from perp_pool.client import PerpPoolClient, min_out_after_slippage
from perp_pool.constants import BPS_POWER, LP_DECIMALS, PRICE_DECIMALS
from perp_pool.math.fixed import U64_MAX, Rounding, mul_div
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pnl import LIQUIDATION_PRICE_SEARCH_MAX
from perp_pool.math.pricing import Side

log = logging.getLogger(__name__)

app = typer.Typer(cls=JsonAwareGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Operate, provide liquidity to and trade on perp_pool pools.")
pool_app = typer.Typer(no_args_is_help=True, help="Pool state.")
positions_app = typer.Typer(no_args_is_help=True, help="Open positions.")
lp_app = typer.Typer(no_args_is_help=True, help="Provide or withdraw liquidity.")
trade_app = typer.Typer(no_args_is_help=True, help="Open, change and close the wallet's positions.")
oracle_app = typer.Typer(no_args_is_help=True, help="Custom oracle prices.")
keeper_app = typer.Typer(no_args_is_help=True, help="Long-running keepers (stop with Ctrl-C / SIGTERM).")
bot_app = typer.Typer(no_args_is_help=True, help="Trading bots (stop with Ctrl-C / SIGTERM).")
config_app = typer.Typer(no_args_is_help=True, help="The CLI config file (like the Solana CLI's).")
for _name, _sub in (("pool", pool_app), ("positions", positions_app), ("lp", lp_app), ("trade", trade_app),
                    ("oracle", oracle_app), ("keeper", keeper_app), ("bot", bot_app), ("config", config_app)):
    app.add_typer(_sub, name=_name)

DEFAULT_SLIPPAGE_BPS = 50


class SideOption(str, Enum):
    long = "long"
    short = "short"

    @property
    def side(self) -> Side:
        return Side.LONG if self is SideOption.long else Side.SHORT


@app.callback()
def root(
    ctx: typer.Context,
    rpc_url: Optional[str] = typer.Option(
        None, "--rpc-url", "-u", help="JSON-RPC URL or moniker (localhost, devnet, ...). "
        f"Default: the config file's json_rpc_url, else {cli_config.DEFAULT_RPC_URL}."),
    keypair: Optional[Path] = typer.Option(
        None, "--keypair", "-k", help="Wallet keypair file. Default: the config file's keypair_path, "
        f"else {cli_config.DEFAULT_KEYPAIR_PATH}."),
    config_file: Path = typer.Option(cli_config.DEFAULT_CONFIG_PATH, "--config", help="Config file (YAML)."),
    json_output: bool = typer.Option(False, "--json", help="Print exactly one JSON document (base units)."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="-v info logs, -vv debug (stderr)."),
) -> None:
    ctx.obj = Settings(rpc_url, keypair, config_file, json_output, verbose)


# ---- pool / positions -------------------------------------------------------------------------


@pool_app.command("info")
def pool_info_command(ctx: typer.Context, name: str = typer.Argument(..., help="Pool name.")) -> None:
    """AUM, LP price and supply, and each custody's assets, utilisation, borrow rate, open
    interest and oracle price."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, name)
        info = await pool_info(client, pool)
        return Report(info, lambda out: _render_pool(out, info))

    run(ctx, action)


def _render_pool(out: Console, info: dict[str, Any]) -> None:
    render_mapping(out, {
        "pool": f"{info['name']} ({info['address']})",
        "lp mint": info["lp_mint"],
        "AUM (USD)": format_usd(info["aum_usd"]),
        "LP price (USD)": format_usd(info["lp_price_usd"]),
        "LP supply": format_units(info["lp_supply"], info["lp_decimals"], group=True),
        "dead LP supply": format_units(info["dead_lp_supply"], info["lp_decimals"], group=True),
        "LP cooldown": f"{info['lp_cooldown_sec']} s after each deposit (and at least one slot)",
    })
    table = Table(title="custodies")
    for column in ("mint", "dec", "stable", "owned", "locked", "collateral", "protocol fees", "insurance",
                   "util", "borrow/h", "long OI (USD)", "short OI (USD)", "oracle spot/ema"):
        table.add_column(column, overflow="fold")
    for c in info["custodies"]:
        d = c["decimals"]
        table.add_row(
            short(c["mint"]), str(d), "yes" if c["is_stable"] else "no",
            format_units(c["owned"], d, group=True), format_units(c["locked"], d, group=True),
            format_units(c["collateral"], d, group=True), format_units(c["protocol_fees"], d, group=True),
            format_units(c["insurance_fund"], d, group=True),
            format_rate_percent(c["utilization"], 2), format_rate_percent(c["borrow_rate"]),
            f"{format_usd(c['long_size_usd'])} ({c['long_positions']})",
            f"{format_usd(c['short_size_usd'])} ({c['short_positions']})",
            f"{format_price(c['oracle_price']['spot'])} / {format_price(c['oracle_price']['ema'])}",
        )
    out.print(table)


@positions_app.command("list")
def positions_list_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Only this owner's positions."),
    verify: bool = typer.Option(False, "--verify", help="Also ask the program (get_liquidation_price)."),
) -> None:
    """Positions of a pool with PnL, leverage and liquidation price computed off-chain."""

    async def action(client: PerpPoolClient) -> Report:
        owner_key = parse_pubkey(owner, "owner") if owner else None
        data = await list_positions(client, await resolve_pool(client, pool_name), owner_key, verify)
        return Report(data, lambda out: _render_positions(out, data, verify))

    run(ctx, action)


def _render_positions(out: Console, data: dict[str, Any], verify: bool) -> None:
    table = Table(title=f"positions of {data['pool_name']} ({len(data['positions'])})")
    columns = ["position", "owner", "market", "side", "size (USD)", "collateral", "entry", "exit", "PnL (USD)",
               "leverage", "liq. price", "status"] + (["on-chain", "match"] if verify else [])
    for column in columns:
        table.add_column(column, overflow="fold")
    for p in data["positions"]:
        d = p["collateral_decimals"]
        row = [short(p["address"]), short(p["owner"]), short(p["market_mint"]), p["side"],
               format_usd(p["size_usd"]), format_units(p["collateral_amount"], d, group=True),
               format_price(p["entry_price"])]
        if p["error"]:
            row += ["", "", "", "", p["error"]] + (["", ""] if verify else [])
        else:
            leverage = "-" if p["leverage_bps"] is None else format_bps_multiple(p["leverage_bps"])
            row += [format_price(p["exit_price"]), format_usd(p["pnl_usd"]), leverage,
                    liquidation_price_text(p["side"], p["liquidation_price"]),
                    "LIQUIDATABLE" if p["liquidatable"] else "ok"]
            if verify:
                row += [liquidation_price_text(p["side"], p["liquidation_price_onchain"]),
                        "yes" if p["liquidation_price_match"] else "NO"]
        table.add_row(*row)
    out.print(table)


def liquidation_price_text(side: str, value: int) -> str:
    """The program's sentinels (docs/design.md) in words: a long at 0 / a short at the search
    ceiling survives any price; a long at u64::MAX / a short at 0 is liquidatable at any price."""
    if (side == "long" and value == 0) or (side == "short" and value >= LIQUIDATION_PRICE_SEARCH_MAX):
        return "never"
    if (side == "long" and value == U64_MAX) or (side == "short" and value == 0):
        return "any price"
    return format_price(value)


# ---- liquidity --------------------------------------------------------------------------------


@lp_app.command("deposit")
def lp_deposit_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    mint: str = typer.Option(..., "--mint", help="Mint of the custody to deposit into."),
    amount_text: str = typer.Option(..., "--amount", help="Tokens to deposit (human units, e.g. 100.5)."),
    slippage_bps: int = typer.Option(DEFAULT_SLIPPAGE_BPS, "--slippage-bps", min=0, max=BPS_POWER - 1,
                                     help="Accept this much less LP than the quote, in BPS."),
    min_lp_out: Optional[str] = typer.Option(None, "--min-lp-out", help="Explicit minimum LP out (human units); "
                                             "overrides --slippage-bps."),
) -> None:
    """Deposit tokens from the wallet's token account; LP tokens go to its LP token account
    (created if missing), which stays frozen for the pool's LP cooldown (see `lp unlock`). The
    minimum LP out is the program's quote (the deposit simulated now) less the slippage."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = parse_pubkey(mint, "mint")
        pool = await resolve_pool(client, pool_name)
        custody = await resolve_custody(client, pool, mint_key)
        decimals = await mint_decimals(client, mint_key)
        amount_in = parse_units(amount_text, decimals, what="amount")
        funding = await require_token_account(client, mint_key, "funding")
        lp_mint = pool.account.lp_token_mint
        lp_account = ata(client.wallet.pubkey(), lp_mint)
        create_lp_account = create_ata_ix(client, lp_mint)
        quote = await client.quote_add_liquidity(pool.address, custody.address, amount_in=amount_in,
                                                 funding_account=funding, lp_token_account=lp_account,
                                                 before=[create_lp_account])
        min_lp = (parse_units(min_lp_out, LP_DECIMALS, what="minimum LP out", allow_zero=True)
                  if min_lp_out is not None else min_out_after_slippage(quote.lp_amount_out, slippage_bps))
        result = await client.add_liquidity(pool.address, custody.address, amount_in=amount_in,
                                            min_lp_amount_out=min_lp, funding_account=funding,
                                            lp_token_account=lp_account, before=[create_lp_account])
        return summarize(result, "LiquidityAdded", pool=pool.address, custody=custody.address,
                         lp_token_account=lp_account, quote_lp_amount_out=quote.lp_amount_out,
                         min_lp_amount_out=min_lp).report(decimals)

    run(ctx, action)


@lp_app.command("withdraw")
def lp_withdraw_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    mint: str = typer.Option(..., "--mint", help="Mint of the custody to withdraw from."),
    lp_amount_text: str = typer.Option(..., "--lp-amount", help="LP tokens to redeem (human units)."),
    slippage_bps: int = typer.Option(DEFAULT_SLIPPAGE_BPS, "--slippage-bps", min=0, max=BPS_POWER - 1,
                                     help="Accept this many fewer tokens than the quote, in BPS."),
    min_out: Optional[str] = typer.Option(None, "--min-out", help="Explicit minimum tokens out (human units); "
                                          "overrides --slippage-bps."),
) -> None:
    """Redeem LP tokens for the custody's tokens (to the wallet's token account, created if
    missing). LP still in its deposit cooldown cannot be redeemed (LiquidityCooldownActive). The
    minimum out is the program's quote (the withdrawal simulated now) less the slippage."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = parse_pubkey(mint, "mint")
        pool = await resolve_pool(client, pool_name)
        custody = await resolve_custody(client, pool, mint_key)
        lp_mint = pool.account.lp_token_mint
        lp_amount = parse_units(lp_amount_text, await mint_decimals(client, lp_mint), what="LP amount")
        decimals = await mint_decimals(client, mint_key)
        lp_account = await require_token_account(client, lp_mint, "LP")
        receiving = ata(client.wallet.pubkey(), mint_key)
        create_receiving = create_ata_ix(client, mint_key)
        quote = await client.quote_remove_liquidity(pool.address, custody.address, lp_amount_in=lp_amount,
                                                    receiving_account=receiving, lp_token_account=lp_account,
                                                    before=[create_receiving])
        min_amount = (parse_units(min_out, decimals, what="minimum out", allow_zero=True)
                      if min_out is not None else min_out_after_slippage(quote.amount_out, slippage_bps))
        result = await client.remove_liquidity(pool.address, custody.address, lp_amount_in=lp_amount,
                                               min_amount_out=min_amount, receiving_account=receiving,
                                               lp_token_account=lp_account, before=[create_receiving])
        return summarize(result, "LiquidityRemoved", pool=pool.address, custody=custody.address,
                         receiving_account=receiving, quote_amount_out=quote.amount_out,
                         min_amount_out=min_amount).report(decimals)

    run(ctx, action)


@lp_app.command("unlock")
def lp_unlock_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Unlock this wallet's LP token account (default: "
                                        "the CLI wallet's); anyone may send it."),
) -> None:
    """Thaw an LP token account whose deposit cooldown is over, so its LP can be transferred (a
    withdrawal thaws by itself). Fails with LiquidityCooldownActive while the cooldown runs."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        owner_key = parse_pubkey(owner, "owner") if owner else client.wallet.pubkey()
        lp_account = ata(owner_key, pool.account.lp_token_mint)
        cooldown = await client.fetch_lp_cooldown(lp_account)
        if cooldown is None:
            raise CliError("NothingToUnlock", f"no deposit was ever made into {lp_account}")
        result = await client.unlock_lp(pool.address, lp_account)
        return summarize(result, "LpUnlocked", unlock_time=cooldown.unlock_time,
                         deposit_slot=cooldown.deposit_slot).report(None)

    run(ctx, action)


# ---- trading ----------------------------------------------------------------------------------


@dataclass
class Trade:
    """The accounts of one of the wallet's positions."""

    pool: PoolRef
    market: CustodyRef
    collateral: CustodyRef
    side: Side
    position: Pubkey

    @property
    def keys(self) -> tuple[Pubkey, Pubkey, Pubkey, Side]:
        return self.pool.address, self.market.address, self.collateral.address, self.side

    async def require_position(self, client: PerpPoolClient) -> None:
        if (await client.connection.get_account_info(self.position, commitment=Confirmed)).value is None:
            raise CliError("PositionNotFound", f"the wallet has no {self.side.value} position on this market "
                           f"({self.position})")

    def report(self, result: Any, event: str, **extra: Any) -> Report:
        return summarize(result, event, position=self.position, side=self.side.value,
                         **extra).report(self.collateral.account.decimals)


async def trade_accounts(client: PerpPoolClient, pool_name: str, market: str, collateral: str,
                         side: SideOption) -> Trade:
    market_key, collateral_key = parse_pubkey(market, "market mint"), parse_pubkey(collateral, "collateral mint")
    pool = await resolve_pool(client, pool_name)
    market_ref = await resolve_custody(client, pool, market_key)
    collateral_ref = await resolve_custody(client, pool, collateral_key)
    position = client.position_address(pool.address, market_ref.address, collateral_ref.address, side.side)
    return Trade(pool, market_ref, collateral_ref, side.side, position)


def entry_limit(side: Side, quote: int, slippage_bps: int) -> int:
    """Worst entry price accepted: a long pays at most quote + slippage, a short gets at least
    quote - slippage."""
    if side is Side.LONG:
        return mul_div(quote, BPS_POWER + slippage_bps, BPS_POWER, Rounding.CEIL)
    return mul_div(quote, BPS_POWER - slippage_bps, BPS_POWER, Rounding.FLOOR)


def exit_limit(side: Side, quote: int, slippage_bps: int) -> int:
    """Worst exit price accepted: a long sells at least at quote - slippage, a short buys back at
    most at quote + slippage."""
    if side is Side.LONG:
        return mul_div(quote, BPS_POWER - slippage_bps, BPS_POWER, Rounding.FLOOR)
    return mul_div(quote, BPS_POWER + slippage_bps, BPS_POWER, Rounding.CEIL)


MARKET = typer.Option(..., "--market", help="Mint of the traded custody.")
COLLATERAL = typer.Option(..., "--collateral", help="Mint of the (stable) collateral custody.")
POOL = typer.Option(..., "--pool", help="Pool name.")
SIDE = typer.Option(..., "--side", help="long or short.")
SLIPPAGE = typer.Option(DEFAULT_SLIPPAGE_BPS, "--slippage-bps", min=0, max=BPS_POWER - 1,
                        help="Price tolerance around the quote, in BPS.")
PRICE_LIMIT = typer.Option(None, "--price-limit", help="Explicit worst price (USD); overrides --slippage-bps.")


@trade_app.command("open")
def trade_open_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE,
    amount_text: str = typer.Option(..., "--amount", help="Collateral tokens to deposit (the open fee is "
                                    "taken from them)."),
    size_text: str = typer.Option(..., "--size", help="Position size in USD."),
    slippage_bps: int = SLIPPAGE, price_limit: Optional[str] = PRICE_LIMIT,
) -> None:
    """Open a position; the price limit comes from the program's entry quote plus slippage."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        collateral_amount = parse_units(amount_text, await mint_decimals(client, t.collateral.mint), what="amount")
        size_usd = parse_usd(size_text, what="size")
        quote = await client.get_entry_price_and_fee(*t.keys, collateral_amount=collateral_amount,
                                                     size_usd=size_usd)
        limit = (parse_price(price_limit, what="price limit") if price_limit
                 else entry_limit(t.side, quote.price, slippage_bps))
        funding = await require_token_account(client, t.collateral.mint, "collateral")
        result = await client.open_position(*t.keys, price_limit=limit, collateral_amount=collateral_amount,
                                            size_usd=size_usd, funding_account=funding)
        return t.report(result, "PositionOpened", quote_price=quote.price, price_limit=limit,
                        quote_liquidation_price=quote.liquidation_price)

    run(ctx, action)


@trade_app.command("increase")
def trade_increase_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE,
    size_text: str = typer.Option(..., "--size", help="USD to add to the position's size."),
    amount_text: str = typer.Option("0", "--amount", help="Collateral tokens to add with it."),
    slippage_bps: int = SLIPPAGE, price_limit: Optional[str] = PRICE_LIMIT,
) -> None:
    """Add size (and optionally collateral) to a position at the current entry price."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        await t.require_position(client)
        collateral_amount = parse_units(amount_text, await mint_decimals(client, t.collateral.mint), what="amount",
                                        allow_zero=True)
        size_usd = parse_usd(size_text, what="size")
        # get_entry_price_and_fee validates a NEW position of this size and collateral (leverage
        # limits), which an increase need not satisfy; the entry price itself is computed off-chain
        # with the program's exact pricing.
        quote = await entry_price_now(client, t.market, t.side)
        limit = (parse_price(price_limit, what="price limit") if price_limit
                 else entry_limit(t.side, quote, slippage_bps))
        funding = await require_token_account(client, t.collateral.mint, "collateral")
        result = await client.increase_position(*t.keys, price_limit=limit, collateral_amount=collateral_amount,
                                                size_usd=size_usd, funding_account=funding)
        return t.report(result, "PositionIncreased", quote_price=quote, price_limit=limit)

    run(ctx, action)


async def quoted_exit_limit(client: PerpPoolClient, t: Trade, slippage_bps: int,
                            price_limit: Optional[str]) -> tuple[int, int]:
    """(the program's exit price quote, the price limit to send)."""
    quote = (await client.get_exit_price_and_fee(t.position)).price
    if price_limit:
        return quote, parse_price(price_limit, what="price limit", allow_zero=True)
    return quote, exit_limit(t.side, quote, slippage_bps)


@trade_app.command("decrease")
def trade_decrease_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE,
    size_text: str = typer.Option(..., "--size", help="USD of size to close (less than the position's size)."),
    slippage_bps: int = SLIPPAGE, price_limit: Optional[str] = PRICE_LIMIT,
) -> None:
    """Close part of a position; proceeds go to the wallet's token account (created if missing)."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        await t.require_position(client)
        size_usd = parse_usd(size_text, what="size")
        quote, limit = await quoted_exit_limit(client, t, slippage_bps, price_limit)
        receiving = ata(client.wallet.pubkey(), t.collateral.mint)
        ix = await client.build_decrease_position_ix(*t.keys, price_limit=limit, size_usd=size_usd,
                                                     receiving_account=receiving)
        result = await client.send([create_ata_ix(client, t.collateral.mint), ix])
        return t.report(result, "PositionDecreased", quote_price=quote, price_limit=limit)

    run(ctx, action)


@trade_app.command("close")
def trade_close_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE, slippage_bps: int = SLIPPAGE, price_limit: Optional[str] = PRICE_LIMIT,
) -> None:
    """Close a position; what is left goes to the wallet's token account (created if missing)."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        await t.require_position(client)
        quote, limit = await quoted_exit_limit(client, t, slippage_bps, price_limit)
        receiving = ata(client.wallet.pubkey(), t.collateral.mint)
        ix = await client.build_close_position_ix(*t.keys, price_limit=limit, receiving_account=receiving)
        result = await client.send([create_ata_ix(client, t.collateral.mint), ix])
        return t.report(result, "PositionDecreased", quote_price=quote, price_limit=limit)

    run(ctx, action)


@trade_app.command("add-collateral")
def trade_add_collateral_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE,
    amount_text: str = typer.Option(..., "--amount", help="Collateral tokens to add."),
) -> None:
    """Add collateral to a position (lowers its leverage)."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        await t.require_position(client)
        collateral_amount = parse_units(amount_text, await mint_decimals(client, t.collateral.mint), what="amount")
        funding = await require_token_account(client, t.collateral.mint, "collateral")
        result = await client.add_collateral(*t.keys, collateral_amount=collateral_amount, funding_account=funding)
        return t.report(result, "CollateralAdded")

    run(ctx, action)


@trade_app.command("remove-collateral")
def trade_remove_collateral_command(
    ctx: typer.Context, pool_name: str = POOL, market: str = MARKET, collateral: str = COLLATERAL,
    side: SideOption = SIDE,
    usd_text: str = typer.Option(..., "--usd", help="USD value of collateral to take out."),
) -> None:
    """Take collateral out of a position (never past its maximum initial leverage)."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        await t.require_position(client)
        collateral_usd = parse_usd(usd_text, what="USD value")
        receiving = ata(client.wallet.pubkey(), t.collateral.mint)
        ix = await client.build_remove_collateral_ix(*t.keys, collateral_usd=collateral_usd,
                                                     receiving_account=receiving)
        result = await client.send([create_ata_ix(client, t.collateral.mint), ix])
        return t.report(result, "CollateralRemoved")

    run(ctx, action)


# ---- liquidation ------------------------------------------------------------------------------


@app.command("liquidate")
def liquidate_command(ctx: typer.Context, position: str = typer.Argument(..., help="Position address.")) -> None:
    """Liquidate one position; the reward goes to the wallet's token account of the collateral
    mint (created if missing), the position's rent to the wallet."""

    async def action(client: PerpPoolClient) -> Report:
        position_key = parse_pubkey(position, "position")
        if (await client.connection.get_account_info(position_key, commitment=Confirmed)).value is None:
            raise CliError("PositionNotFound", f"no position at {position_key}")
        p = await client.fetch_position(position_key)
        collateral = await client.fetch_custody(p.collateral_custody)
        receiving = ata(client.wallet.pubkey(), collateral.mint)
        ix = await client.build_liquidate_ix(position_key, receiving_account=receiving)
        result = await client.send([create_ata_ix(client, collateral.mint), ix])
        return summarize(result, "PositionLiquidated", position=position_key, side=side_of(p.side).value,
                         receiving_account=receiving).report(collateral.decimals)

    run(ctx, action)


# ---- oracle -----------------------------------------------------------------------------------


async def custom_oracle_custody(client: PerpPoolClient, pool_name: str, mint: str) -> tuple[PoolRef, CustodyRef]:
    pool = await resolve_pool(client, pool_name)
    custody = await resolve_custody(client, pool, parse_pubkey(mint, "mint"))
    kind = oracle_type_name(custody.account)
    if kind != "Custom":
        raise CliError("NotCustomOracle", f"custody {custody.address} is priced by a {kind} oracle; only custom "
                       "oracles can be set")
    return pool, custody


@oracle_app.command("set")
def oracle_set_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    mint: str = typer.Option(..., "--mint", help="Mint of the custody to price."),
    price_text: str = typer.Option(..., "--price", help="USD per whole token, e.g. 151.25."),
    conf_text: str = typer.Option("0", "--conf", help="Confidence interval (USD)."),
    ema_text: Optional[str] = typer.Option(None, "--ema", help="EMA price (USD); default none (spot is used)."),
) -> None:
    """Write a custom oracle price (PRICE_DECIMALS = 9 decimals: expo -9) with publish_time = the
    node's clock. The wallet must be the custody's oracle authority."""

    async def action(client: PerpPoolClient) -> Report:
        _, custody = await custom_oracle_custody(client, pool_name, mint)
        value = parse_price(price_text, what="price")
        conf = parse_price(conf_text, what="confidence", allow_zero=True)
        ema = parse_price(ema_text, what="EMA") if ema_text else 0
        now = await unix_now(client)
        result = await client.set_custom_oracle_price(custody.address, price=value, expo=-PRICE_DECIMALS, conf=conf,
                                                      ema=ema, publish_time=now)
        return summarize(result, "CustomOraclePriceSet", custody=custody.address).report(None)

    run(ctx, action)


async def current_raw_price(client: PerpPoolClient, custody: CustodyRef) -> int | None:
    """The custom oracle's stored spot price in PRICE_DECIMALS, stale or not (None if never set)."""
    try:
        oracle = await client.fetch_custom_oracle(custody.account.oracle.oracle_account)
    except AccountDoesNotExistError:
        return None
    return OraclePrice(oracle.price, oracle.expo).scale_to_price_decimals(Rounding.FLOOR)


@oracle_app.command("push")
def oracle_push_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    mint: str = typer.Option(..., "--mint", help="Mint of the custody to price."),
    file: Optional[Path] = typer.Option(None, "--file", help="Prices from this file."),
    stdin: bool = typer.Option(False, "--stdin", help="Prices from standard input."),
    random_walk: bool = typer.Option(False, "--random-walk", help="A seeded random walk."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random walk seed (default: random, reported)."),
    start: Optional[str] = typer.Option(None, "--start", help="Random walk start (USD; default: current price)."),
    vol_bps: int = typer.Option(10, "--vol-bps", min=0, help="Random walk step volatility, BPS."),
    interval: float = typer.Option(1.0, "--interval", min=0.0, help="Seconds between pushes."),
    count: Optional[int] = typer.Option(None, "--count", min=1, help="Stop after this many pushes."),
) -> None:
    """Keep pushing custom oracle prices from a file, stdin or a random walk."""
    chosen = [name for name, on in (("--file", file is not None), ("--stdin", stdin), ("--random-walk", random_walk))
              if on]

    async def action(client: PerpPoolClient) -> Report:
        if len(chosen) != 1:
            raise usage_error("InvalidSource", "choose exactly one of --file, --stdin, --random-walk")
        try:
            from perp_pool.keeper.oracle_pusher import FileSource, RandomWalkSource, StdinSource, run_oracle_pusher
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.oracle_pusher", exc) from None
        _, custody = await custom_oracle_custody(client, pool_name, mint)
        detail: dict[str, Any] = {"custody": str(custody.address), "source": chosen[0].lstrip("-")}
        if file is not None:
            with checked_arguments("--file"):
                source: Any = FileSource(file)
            detail["file"] = str(file)
        elif stdin:
            source = StdinSource()
        else:
            start_price = (parse_price(start, what="start price") if start
                           else await current_raw_price(client, custody))
            if start_price is None:
                raise usage_error("InvalidSource", "the oracle has no price yet: pass --start")
            walk_seed = seed if seed is not None else secrets.randbits(32)
            log.info("random walk from %s, vol %s bps, seed %s", format_price(start_price), vol_bps, walk_seed)
            with checked_arguments("--random-walk"):
                source = RandomWalkSource(start_price, vol_bps, walk_seed)
            detail.update({"start_price": start_price, "vol_bps": vol_bps, "seed": walk_seed})
        stopped_by, pushed = await until_stopped(
            lambda stop: run_oracle_pusher(client, custody.address, source, interval=interval, stop=stop, count=count))
        return Report({"command": "oracle push", **detail, "stopped_by": stopped_by,
                       "pushed": pushed if isinstance(pushed, int) else None})

    run_long(ctx, action)


# ---- keepers and bots -------------------------------------------------------------------------


def unavailable(module: str, exc: ImportError) -> CliError:
    return CliError("KeeperUnavailable", f"{module} is not available in this installation: {exc}")


async def until_stopped(body: Callable[[asyncio.Event], Awaitable[Any]]) -> tuple[str, Any]:
    """Runs `body(stop)`; SIGINT/SIGTERM set `stop`. Returns (what ended it: signal | finished,
    what `body` returned)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            log.debug("cannot install a handler for %s", sig)
    try:
        result = await body(stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return ("signal" if stop.is_set() else "finished"), result


@contextlib.contextmanager
def checked_arguments(what: str) -> Iterator[None]:
    """Around building a keeper, bot or price source: the parameter checks they make (ValueError,
    an unreadable file) are usage errors."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise usage_error("InvalidArgument", f"{what}: {exc}") from None


def run_long(ctx: typer.Context, action: Callable[[PerpPoolClient], Awaitable[Report]]) -> None:
    """A long-running command: info logs on by default so the operator sees it working."""
    settings: Settings = ctx.obj
    settings.verbose = max(settings.verbose, 1)
    run(ctx, action)


@keeper_app.command("liquidate")
def keeper_liquidate_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    collateral: Optional[str] = typer.Option(
        None, "--collateral", help="Collateral mint whose token account receives rewards (default: the "
        "pool's only stable custody, else the keeper decides per position)."),
    interval: float = typer.Option(1.0, "--interval", min=0.0, help="Seconds between scans."),
    priority_fee: int = typer.Option(0, "--priority-fee", min=0, help="Micro-lamports per compute unit."),
    metrics_port: Optional[int] = typer.Option(None, "--metrics-port", min=1, max=65535,
                                               help="Serve Prometheus metrics on this port."),
    max_in_flight: int = typer.Option(8, "--max-in-flight", min=1, help="Liquidations sent concurrently."),
) -> None:
    """Scan the pool and liquidate every liquidatable position."""

    async def action(client: PerpPoolClient) -> Report:
        try:
            from perp_pool.keeper.liquidator import LiquidationKeeper
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.liquidator", exc) from None
        pool = await resolve_pool(client, pool_name)
        receiving = await reward_account(client, pool, collateral)
        with checked_arguments("keeper"):
            keeper = LiquidationKeeper(client, pool=pool.address, receiving_account=receiving, poll_interval=interval,
                                       priority_fee_micro_lamports=priority_fee, max_in_flight=max_in_flight,
                                       metrics_port=metrics_port)
        stopped_by, _ = await until_stopped(lambda stop: keeper.run(stop))
        return Report({"command": "keeper liquidate", "pool": str(pool.address),
                       "receiving_account": str(receiving) if receiving else None, "stopped_by": stopped_by})

    run_long(ctx, action)


async def reward_account(client: PerpPoolClient, pool: PoolRef, collateral: Optional[str]) -> Pubkey | None:
    """The wallet's token account for rewards (created now if missing), or None to let the keeper
    choose per position when the pool has several stable custodies."""
    if collateral:
        mint = (await resolve_custody(client, pool, parse_pubkey(collateral, "collateral mint"))).mint
    else:
        stable = [c for c in (await client.program.account["Custody"].fetch_multiple(
            pool.account.custodies, commitment=Confirmed)) if c is not None and c.is_stable]
        if len(stable) != 1:
            return None
        mint = stable[0].mint
    account = ata(client.wallet.pubkey(), mint)
    if (await client.connection.get_account_info(account, commitment=Confirmed)).value is None:
        await client.send([create_ata_ix(client, mint)])
    return account


@keeper_app.command("aum")
def keeper_aum_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    interval: float = typer.Option(30.0, "--interval", min=0.0, help="Seconds between updates."),
) -> None:
    """Refresh the pool's stored AUM snapshot (update_pool_aum) periodically."""

    async def action(client: PerpPoolClient) -> Report:
        try:
            from perp_pool.keeper.aum_updater import run_aum_updater
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.aum_updater", exc) from None
        pool = await resolve_pool(client, pool_name)
        stopped_by, updates = await until_stopped(
            lambda stop: run_aum_updater(client, pool.address, interval=interval, stop=stop))
        return Report({"command": "keeper aum", "pool": str(pool.address), "stopped_by": stopped_by,
                       "updates": updates if isinstance(updates, int) else None})

    run_long(ctx, action)


@bot_app.command("grid")
def bot_grid_command(
    ctx: typer.Context,
    pool_name: str = typer.Option(..., "--pool", help="Pool name."),
    market: str = typer.Option(..., "--market", help="Mint of the traded custody."),
    collateral: str = typer.Option(..., "--collateral", help="Mint of the collateral custody."),
    levels: int = typer.Option(5, "--levels", min=1, help="Grid levels on each side."),
    spacing_bps: int = typer.Option(50, "--spacing-bps", min=1, help="Distance between levels, BPS."),
    size_text: str = typer.Option("100", "--size", help="USD size per level."),
    leverage_text: str = typer.Option("5", "--leverage", help="Leverage per position (e.g. 5 or 2.5)."),
    interval: float = typer.Option(1.0, "--interval", min=0.0, help="Seconds between price checks."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Log the orders, send nothing."),
) -> None:
    """Trade a price grid around the oracle price."""

    async def action(client: PerpPoolClient) -> Report:
        size_usd = parse_usd(size_text, what="size")
        leverage_bps = parse_leverage_bps(leverage_text)
        try:
            from perp_pool.bots.grid import GridBot
        except ImportError as exc:
            raise unavailable("perp_pool.bots.grid", exc) from None
        pool = await resolve_pool(client, pool_name)
        custody = await resolve_custody(client, pool, parse_pubkey(market, "market mint"))
        collateral_custody = await resolve_custody(client, pool, parse_pubkey(collateral, "collateral mint"))
        with checked_arguments("grid"):
            bot = GridBot(client, pool.address, custody.address, collateral_custody.address, levels=levels,
                          spacing_bps=spacing_bps, size_usd=size_usd, leverage_bps=leverage_bps, dry_run=dry_run)
        stopped_by, actions = await until_stopped(lambda stop: bot.run(stop, interval=interval))
        return Report({"command": "bot grid", "pool": str(pool.address), "custody": str(custody.address),
                       "collateral_custody": str(collateral_custody.address), "dry_run": dry_run,
                       "stopped_by": stopped_by, "actions": len(actions) if isinstance(actions, list) else None})

    run_long(ctx, action)


# ---- config -----------------------------------------------------------------------------------


@config_app.command("get")
def config_get_command(ctx: typer.Context) -> None:
    """Show the config file's values and the settings in effect (and where they come from)."""
    settings: Settings = ctx.obj

    def action() -> Report:
        cfg = settings.config()
        url, url_source = settings.rpc_url()
        keypair, keypair_source = settings.keypair_path()
        data = {"config_file": str(cfg.path), "exists": cfg.exists, "json_rpc_url": cfg.json_rpc_url,
                "keypair_path": cfg.keypair_path, "rpc_url": url, "rpc_url_source": url_source,
                "keypair": str(keypair), "keypair_source": keypair_source}
        return Report(data)

    run_offline(ctx, action)


@config_app.command("set")
def config_set_command(
    ctx: typer.Context,
    rpc_url: Optional[str] = typer.Option(None, "--rpc-url", "-u", help="JSON-RPC URL or moniker."),
    keypair: Optional[Path] = typer.Option(None, "--keypair", "-k", help="Wallet keypair file."),
) -> None:
    """Write json_rpc_url and/or keypair_path into the config file (other lines are kept)."""
    settings: Settings = ctx.obj

    def action() -> Report:
        if rpc_url is None and keypair is None:
            raise usage_error("NothingToSet", "pass --rpc-url and/or --keypair")
        updates: dict[str, str] = {}
        if rpc_url is not None:
            updates[cli_config.RPC_URL_KEY] = cli_config.resolve_rpc_url(rpc_url)
        if keypair is not None:
            updates[cli_config.KEYPAIR_KEY] = str(keypair.expanduser().resolve())
        try:
            cfg = cli_config.set_values(settings.config_path, updates)
        except cli_config.ConfigError as exc:
            raise CliError("InvalidConfig", str(exc)) from None
        return Report({"config_file": str(cfg.path), "json_rpc_url": cfg.json_rpc_url,
                       "keypair_path": cfg.keypair_path})

    run_offline(ctx, action)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
