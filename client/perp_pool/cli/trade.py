"""`trade open|increase|decrease|close|add-collateral|remove-collateral`: the wallet's positions,
with price limits from the program's quotes plus slippage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool.cli.options import (
    DEFAULT_SLIPPAGE_BPS,
    CollateralMint,
    MarketMint,
    PoolName,
    PriceLimit,
    SideChoice,
    SideOption,
    TradeSlippageBps,
)
from perp_pool.cli.output import Report, summarize
from perp_pool.cli.queries import (
    CustodyRef,
    PoolRef,
    ata,
    create_ata_ix,
    entry_price_now,
    mint_decimals,
    parse_pubkey,
    require_token_account,
    resolve_custody,
    resolve_pool,
)
from perp_pool.cli.support import not_found, run
from perp_pool.cli.units import parse_price, parse_units, parse_usd
from perp_pool.client import PerpPoolClient
from perp_pool.constants import BPS_POWER
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.pricing import Side

trade_app = typer.Typer(no_args_is_help=True, help="Open, change and close the wallet's positions.")


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
            raise not_found("PositionNotFound", f"the wallet has no {self.side.value} position on this market "
                            f"({self.position}): `perp-pool positions list --pool {self.pool.name}` shows the "
                            "open ones")

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


async def quoted_exit_limit(client: PerpPoolClient, t: Trade, slippage_bps: int,
                            price_limit: str | None) -> tuple[int, int]:
    """(the program's exit price quote, the price limit to send)."""
    quote = (await client.get_exit_price_and_fee(t.position)).price
    if price_limit:
        return quote, parse_price(price_limit, what="price limit", allow_zero=True)
    return quote, exit_limit(t.side, quote, slippage_bps)


@trade_app.command("open")
def trade_open_command(
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    amount_text: Annotated[str, typer.Option("--amount", help="Collateral tokens to deposit (the open fee is "
                                             "taken from them).")],
    size_text: Annotated[str, typer.Option("--size", help="Position size in USD.")],
    slippage_bps: TradeSlippageBps = DEFAULT_SLIPPAGE_BPS, price_limit: PriceLimit = None,
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
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    size_text: Annotated[str, typer.Option("--size", help="USD to add to the position's size.")],
    amount_text: Annotated[str, typer.Option("--amount", help="Collateral tokens to add with it.")] = "0",
    slippage_bps: TradeSlippageBps = DEFAULT_SLIPPAGE_BPS, price_limit: PriceLimit = None,
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


@trade_app.command("decrease")
def trade_decrease_command(
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    size_text: Annotated[str, typer.Option("--size", help="USD of size to close (less than the position's size).")],
    slippage_bps: TradeSlippageBps = DEFAULT_SLIPPAGE_BPS, price_limit: PriceLimit = None,
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
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    slippage_bps: TradeSlippageBps = DEFAULT_SLIPPAGE_BPS, price_limit: PriceLimit = None,
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
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    amount_text: Annotated[str, typer.Option("--amount", help="Collateral tokens to add.")],
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
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    usd_text: Annotated[str, typer.Option("--usd", help="USD value of collateral to take out.")],
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
