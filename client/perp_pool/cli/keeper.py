"""Liquidations: `liquidate` (one position, now) and the long-running keepers `keeper liquidate`,
`keeper run` (liquidations, closes at cap and trigger orders in one scan) and `keeper aum`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool.cli.long_running import checked_arguments, run_long, unavailable, until_stopped
from perp_pool.cli.options import PoolName
from perp_pool.cli.output import Report, summarize
from perp_pool.cli.queries import (
    PoolRef,
    ata,
    create_ata_ix,
    parse_pubkey,
    require_sol,
    resolve_custody,
    resolve_pool,
)
from perp_pool.cli.support import not_found, run
from perp_pool.client import PerpPoolClient, side_of

keeper_app = typer.Typer(no_args_is_help=True, help="Long-running keepers (stop with Ctrl-C / SIGTERM).")


def liquidate_command(ctx: typer.Context,
                      position: Annotated[str, typer.Argument(help="Position address.")]) -> None:
    """Liquidate one position; the reward goes to the wallet's token account of the collateral
    mint (created if missing), the position's rent to the wallet."""

    async def action(client: PerpPoolClient) -> Report:
        position_key = parse_pubkey(position, "position")
        if (await client.connection.get_account_info(position_key, commitment=Confirmed)).value is None:
            raise not_found("PositionNotFound", f"no position at {position_key}")
        p = await client.fetch_position(position_key)
        collateral = await client.fetch_custody(p.collateral_custody)
        receiving = ata(client.wallet.pubkey(), collateral.mint)
        ix = await client.build_liquidate_ix(position_key, receiving_account=receiving)
        result = await client.send([create_ata_ix(client, collateral.mint), ix])
        return summarize(result, "PositionLiquidated", position=position_key, side=side_of(p.side).value,
                         receiving_account=receiving).report(collateral.decimals)

    run(ctx, action)


@keeper_app.command("liquidate")
def keeper_liquidate_command(
    ctx: typer.Context,
    pool_name: PoolName,
    collateral: Annotated[str | None, typer.Option(
        "--collateral", help="Collateral mint whose token account receives rewards (default: the "
        "pool's only stable custody, else the keeper decides per position).")] = None,
    interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between scans.")] = 1.0,
    priority_fee: Annotated[int, typer.Option("--priority-fee", min=0,
                                              help="Micro-lamports per compute unit.")] = 0,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port", min=1, max=65535,
                                                     help="Serve Prometheus metrics on this port.")] = None,
    max_in_flight: Annotated[int, typer.Option("--max-in-flight", min=1,
                                               help="Liquidations sent concurrently.")] = 8,
    once: Annotated[bool, typer.Option("--once", help="Scan once, liquidate what is liquidatable now, wait for "
                                       "those transactions and exit.")] = False,
) -> None:
    """Scan the pool and liquidate every liquidatable position (until Ctrl-C, or --once)."""
    _run_keeper(ctx, "keeper liquidate", pool_name, collateral, interval, priority_fee, metrics_port, max_in_flight,
                once, execute_orders=False)


@keeper_app.command("run")
def keeper_run_command(
    ctx: typer.Context,
    pool_name: PoolName,
    collateral: Annotated[str | None, typer.Option(
        "--collateral", help="Collateral mint whose token account receives rewards (default: the "
        "pool's only stable custody, else the keeper decides per position).")] = None,
    interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between scans.")] = 1.0,
    priority_fee: Annotated[int, typer.Option("--priority-fee", min=0,
                                              help="Micro-lamports per compute unit.")] = 0,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port", min=1, max=65535,
                                                     help="Serve Prometheus metrics on this port.")] = None,
    max_in_flight: Annotated[int, typer.Option("--max-in-flight", min=1,
                                               help="Liquidations sent concurrently.")] = 8,
    once: Annotated[bool, typer.Option("--once", help="Scan once, act on what qualifies now, wait for those "
                                       "transactions and exit.")] = False,
) -> None:
    """Scan the pool: liquidate, close at cap, execute trigger orders and remove void ones (until
    Ctrl-C, or --once)."""
    _run_keeper(ctx, "keeper run", pool_name, collateral, interval, priority_fee, metrics_port, max_in_flight, once,
                execute_orders=True)


def _run_keeper(ctx: typer.Context, command: str, pool_name: str, collateral: str | None, interval: float,
                priority_fee: int, metrics_port: int | None, max_in_flight: int, once: bool, *,
                execute_orders: bool) -> None:
    async def action(client: PerpPoolClient) -> Report:
        try:
            from perp_pool.keeper.liquidator import LiquidationKeeper
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.liquidator", exc) from None
        pool = await resolve_pool(client, pool_name)
        await require_sol(client)
        receiving = await reward_account(client, pool, collateral)
        options: dict[str, Any] = {
            "pool": pool.address, "receiving_account": receiving, "poll_interval": interval,
            "priority_fee_micro_lamports": priority_fee, "max_in_flight": max_in_flight, "metrics_port": metrics_port}
        if execute_orders:  # `keeper run`: trigger orders in the same scan
            options["execute_orders"] = True
        with checked_arguments("keeper"):
            keeper = LiquidationKeeper(client, **options)
        if once:
            scan = await keeper.scan_once()
            keeper.dispatch(scan.liquidatable, scan.capped)
            await keeper.drain()
            landed = [str(p) for p in keeper.landed]
            data = {"command": command, "pool": str(pool.address), "positions": scan.positions,
                    "liquidatable": len(scan.liquidatable), "capped": len(scan.capped), "landed": landed,
                    "stopped_by": "once"}
            text = (f"scanned {scan.positions} position(s) of {pool.name}: {len(scan.liquidatable)} liquidatable, "
                    f"{len(scan.capped)} at their payoff cap\n{len(landed)} liquidated or closed at cap"
                    + "".join(f"\n  {p}" for p in landed))
            if keeper.orders is not None and scan.orders is not None:
                keeper.orders.dispatch(scan.orders)
                await keeper.orders.drain()
                executed = [str(o) for o in keeper.orders.landed]
                data.update({"orders": scan.orders.orders, "orders_executed": executed,
                             "orders_void_removed": [str(o) for o in keeper.orders.removed]})
                text += (f"\n{scan.orders.orders} order(s): {len(executed)} executed, "
                         f"{len(keeper.orders.removed)} void removed" + "".join(f"\n  {o}" for o in executed))
            return Report(data, lambda out: out.print(text, soft_wrap=True, markup=False, highlight=False))
        stopped_by, _ = await until_stopped(lambda stop: keeper.run(stop))
        return Report({"command": command, "pool": str(pool.address),
                       "receiving_account": str(receiving) if receiving else None, "stopped_by": stopped_by})

    run_long(ctx, action)


async def reward_account(client: PerpPoolClient, pool: PoolRef, collateral: str | None) -> Pubkey | None:
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
    pool_name: PoolName,
    interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between updates.")] = 30.0,
) -> None:
    """Refresh the pool's stored AUM snapshot (update_pool_aum) periodically."""

    async def action(client: PerpPoolClient) -> Report:
        try:
            from perp_pool.keeper.aum_updater import run_aum_updater
        except ImportError as exc:
            raise unavailable("perp_pool.keeper.aum_updater", exc) from None
        pool = await resolve_pool(client, pool_name)
        await require_sol(client)
        stopped_by, updates = await until_stopped(
            lambda stop: run_aum_updater(client, pool.address, interval=interval, stop=stop))
        return Report({"command": "keeper aum", "pool": str(pool.address), "stopped_by": stopped_by,
                       "updates": updates if isinstance(updates, int) else None})

    run_long(ctx, action)
