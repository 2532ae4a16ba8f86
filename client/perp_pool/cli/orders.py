"""`trade order place|edit|list|cancel`: the wallet's trigger orders (take-profit, stop-loss, limit;
docs/design.md "Trigger orders"). Keepers (`perp-pool keeper run`) execute them."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer
from solders.pubkey import Pubkey

from perp_pool.cli.options import CollateralMint, MarketMint, PoolName, PriceLimit, SideChoice
from perp_pool.cli.output import Report, short, summarize
from perp_pool.cli.queries import ata, create_ata_ix, mint_decimals, parse_pubkey, require_token_account, resolve_pool
from perp_pool.cli.support import not_found, run, usage_error
from perp_pool.cli.tables import print_wide, table
from perp_pool.cli.trade import trade_accounts
from perp_pool.cli.units import format_price, format_usd, parse_price, parse_units, parse_usd
from perp_pool.client import OrderKind, OrderView, PerpPoolClient
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.pricing import Side

order_app = typer.Typer(no_args_is_help=True, help="Take-profit, stop-loss and limit orders, executed by keepers.")


class KindOption(str, Enum):
    tp = "tp"
    sl = "sl"
    limit = "limit"

    @property
    def kind(self) -> OrderKind:
        return {"tp": OrderKind.TAKE_PROFIT, "sl": OrderKind.STOP_LOSS, "limit": OrderKind.LIMIT}[self.value]


def default_price_limit(kind: OrderKind, side: Side, trigger: int) -> int:
    """Take-profit and limit orders execute at their trigger or better, so the trigger is their
    limit; a stop-loss accepts any price by default (a stop-market: it must get the trader out)."""
    if kind is not OrderKind.STOP_LOSS:
        return trigger
    return 0 if side is Side.LONG else U64_MAX


def order_row(o: OrderView, state: Any | None) -> dict[str, Any]:
    return {"order": str(o.address), "kind": o.kind.value, "side": o.side.value, "index": o.index,
            "custody": str(o.custody), "trigger_price": o.trigger_price, "price_limit": o.price_limit,
            "size_usd": o.size_usd, "collateral_amount": o.collateral_amount, "executor_fee": o.executor_fee,
            "executable": None if state is None else bool(state.executable),
            "void": None if state is None else bool(state.void),
            "price_now": None if state is None else state.price}


@order_app.command("place")
def order_place_command(
    ctx: typer.Context, pool_name: PoolName, market: MarketMint, collateral: CollateralMint, side: SideChoice,
    kind: Annotated[KindOption, typer.Option("--kind", help="tp (take-profit), sl (stop-loss) or limit.")],
    trigger_text: Annotated[str, typer.Option("--trigger", help="Trigger price (USD): the exit price for tp/sl, "
                                              "the entry price for limit.")],
    size_text: Annotated[str | None, typer.Option("--size", help="USD to close (tp/sl; default: the whole "
                                                  "position) or to open / add (limit).")] = None,
    amount_text: Annotated[str | None, typer.Option("--amount", help="Collateral tokens to escrow (limit).")] = None,
    price_limit: PriceLimit = None,
) -> None:
    """Leave an order; the executor fee (and a limit order's collateral) is escrowed now."""

    async def action(client: PerpPoolClient) -> Report:
        t = await trade_accounts(client, pool_name, market, collateral, side)
        k = kind.kind
        trigger = parse_price(trigger_text, what="trigger")
        if k is OrderKind.LIMIT:
            if size_text is None or amount_text is None:
                raise usage_error("MissingOption", "a limit order needs --size and --amount")
            size_usd = parse_usd(size_text, what="size")
            amount = parse_units(amount_text, await mint_decimals(client, t.collateral.mint), what="amount")
        else:
            if amount_text is not None:
                raise usage_error("UnexpectedOption", "--amount is for limit orders only")
            await t.require_position(client)
            size_usd = parse_usd(size_text, what="size") if size_text else U64_MAX
            amount = 0
        limit = parse_price(price_limit, what="price limit", allow_zero=True) if price_limit else (
            default_price_limit(k, t.side, trigger))
        funding = await require_token_account(client, t.collateral.mint, "collateral")
        result = await client.place_order(*t.keys, k, trigger_price=trigger, price_limit=limit, size_usd=size_usd,
                                          funding_account=funding, collateral_amount=amount)
        return summarize(result, "OrderPlaced", side=t.side.value).report(t.collateral.account.decimals)

    run(ctx, action)


async def _own_order(client: PerpPoolClient, order: str) -> OrderView:
    key = parse_pubkey(order, "order")
    try:
        o = await client.fetch_order(key)
    except Exception:  # noqa: BLE001 - gone or not an order: one answer
        raise not_found("OrderNotFound", f"no order at {key}: `perp-pool trade order list` shows yours") from None
    if o.owner != client.wallet.pubkey():
        raise usage_error("NotYourOrder", f"order {key} belongs to {o.owner}, not to this wallet")
    return o


@order_app.command("edit")
def order_edit_command(
    ctx: typer.Context, order: Annotated[str, typer.Argument(help="Order address.")],
    trigger_text: Annotated[str, typer.Option("--trigger", help="New trigger price (USD).")],
    size_text: Annotated[str | None, typer.Option("--size", help="New size (USD; default: unchanged).")] = None,
    price_limit: PriceLimit = None,
) -> None:
    """Change an order's trigger (and size, price limit), checked as at placement."""

    async def action(client: PerpPoolClient) -> Report:
        o = await _own_order(client, order)
        trigger = parse_price(trigger_text, what="trigger")
        size_usd = parse_usd(size_text, what="size") if size_text else o.size_usd
        limit = parse_price(price_limit, what="price limit", allow_zero=True) if price_limit else (
            default_price_limit(o.kind, o.side, trigger))
        result = await client.edit_order(o.address, trigger_price=trigger, price_limit=limit, size_usd=size_usd)
        return summarize(result, "OrderEdited").report(None)

    run(ctx, action)


@order_app.command("cancel")
def order_cancel_command(ctx: typer.Context, order: Annotated[str, typer.Argument(help="Order address.")]) -> None:
    """Cancel an order: its escrow goes back to the wallet's token account (created if missing)."""

    async def action(client: PerpPoolClient) -> Report:
        o = await _own_order(client, order)
        mint = (await client.fetch_custody(o.collateral_custody)).mint
        receiving = ata(client.wallet.pubkey(), mint)
        ix = await client.build_cancel_order_ix(o.address, receiving_account=receiving)
        result = await client.send([create_ata_ix(client, mint), ix])
        return summarize(result, "OrderCancelled").report(await mint_decimals(client, mint))

    run(ctx, action)


@order_app.command("list")
def order_list_command(
    ctx: typer.Context, pool_name: PoolName,
    owner: Annotated[str | None, typer.Option("--owner", help="Whose orders (default: the wallet's).")] = None,
) -> None:
    """The orders of an owner in a pool, with whether each is executable now (the program's view)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        owner_key: Pubkey = parse_pubkey(owner, "owner") if owner else client.wallet.pubkey()
        orders = await client.get_orders(owner=owner_key, pool=pool.address)
        rows = []
        for o in orders:
            try:
                state = await client.get_order_state(o)
            except Exception:  # noqa: BLE001 - a stale oracle: the order is listed, its state unknown
                state = None
            rows.append(order_row(o, state))

        def render(out: Any) -> None:
            t = table(f"{len(rows)} order(s) of {short(owner_key)} in {pool.name}",
                      [("order", "left"), ("kind", "left"), ("side", "left"), ("trigger", "right"),
                       ("limit", "right"), ("size USD", "right"), ("now", "right"), ("state", "left")])
            for r in rows:
                state = "?" if r["executable"] is None else (
                    "void" if r["void"] else "EXECUTABLE" if r["executable"] else "waiting")
                t.add_row(short(r["order"]), r["kind"], r["side"], format_price(r["trigger_price"]),
                          format_price(r["price_limit"]) if 0 < r["price_limit"] < U64_MAX else "any",
                          "all" if r["size_usd"] == U64_MAX else format_usd(r["size_usd"]),
                          "-" if r["price_now"] is None else format_price(r["price_now"]), state)
            print_wide(out, t)

        return Report({"command": "trade order list", "pool": str(pool.address), "owner": str(owner_key),
                       "orders": rows}, render)

    run(ctx, action)
