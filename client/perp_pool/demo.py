"""`make demo`: the whole story on the embedded local node.

Starts `perp-localnet`; an admin creates a pool with a USDC custody (liquidity and collateral) and
a SOL market priced by a custom oracle; two LPs deposit (their LP stays locked for the pool's
15-minute cooldown; the first deposit leaves 1 LP of dead shares in the pool); five traders open
longs and shorts, and one of them, grace, leaves a stop-loss at 148.50 (above her liquidation
price, as the program requires); SOL dips 1.3 %, then crashes to 12 % down; after each move the
keeper (the same code as `perp-pool keeper run`) executes the stop-loss the dip reached, which
gets grace out before the crash would have liquidated her, and liquidates the positions past their
liquidation price and leaves the others: just past it the collateral left pays the LPs' loss first, then the
liquidation fee, then the keeper's reward; deep under water the LPs take it all; the survivors
close; then a table shows who gained and lost, and where every USDC went.

Then LP tranches: a second pool with a senior tranche (5 % a year, coverage limit 3x) and an
insurance fund of 500 USDC; a junior LP puts in 20,000 USDC of first-loss capital and a senior LP
40,000; a trader shorts 30,000 USD of SOL and another goes long 10,000 at 40x; SOL crashes 20 %:
the long is liquidated far under water (its shortfall draws the insurance fund first, the rest is
bad debt), the short takes its profit; a table from the program's own `get_tranche_state` shows
the insurance fund drawn, the junior tranche's NAV cut and the senior's intact (it keeps accruing
its target rate); the junior LP then tries to withdraw and is refused by the coverage limit.

Then a multi-asset pool (perp_pool.demo_multi_asset): LPs deposit USDC and SOL toward target
weights of 55 % and 45 %; a long on SOL with SOL collateral; SOL rises 10 %: a deposit toward the
targets is quoted below the flat fee and one away from them above it; an arbitrageur's swap
rebalances the pool; the long's profit is paid in SOL out of the SOL custody. Stops the node.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime, timezone
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.cli.tables import column
from perp_pool.client import FeeConfig, OracleConfig, OrderKind, PerpPoolClient, PricingConfig
from perp_pool.clock import node_unix_time
from perp_pool.constants import BPS_DECIMALS, PRICE_DECIMALS, PRICE_POWER, USD_DECIMALS
from perp_pool.demo_multi_asset import multi_asset_scene
from perp_pool.keeper.liquidator import LiquidationKeeper
from perp_pool.localnet import LocalNode
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens, token_balance

SOL_LAMPORTS = 10**9
USDC = 10**6
console = Console()


def usd(amount: int) -> str:
    return f"{Decimal(amount) / USDC:,.2f}"


def price(value: int) -> str:
    """A PRICE_DECIMALS price as USD per whole token."""
    return f"{Decimal(value) / PRICE_POWER:,.2f}"


async def now(connection: AsyncClient) -> int:
    return await node_unix_time(connection)


async def funded(connection: AsyncClient) -> Keypair:
    kp = Keypair()
    await connection.confirm_transaction((await connection.request_airdrop(kp.pubkey(), 10 * SOL_LAMPORTS)).value,
                                         Confirmed, sleep_seconds=0.1)
    return kp


async def run(rpc_url: str) -> None:
    connection = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
    admin = await funded(connection)
    admin_client = PerpPoolClient(connection, admin)
    if (await connection.get_account_info(admin_client.perpetuals_address)).value is None:
        await admin_client.initialize()
    console.rule("[bold]perp_pool on the local node")

    name = "demo"
    lp_cooldown_sec = 900
    await admin_client.add_pool(name, lp_cooldown_sec=lp_cooldown_sec)
    pool = admin_client.pool_address(name)
    fees = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                     protocol_share_bps=2_000, insurance_share_bps=1_000)
    oracle = OracleConfig(max_price_age_sec=60)
    custodies: dict[str, Pubkey] = {}
    mints: dict[str, Pubkey] = {}
    # Oracle prices are published in the program's own units: expo -PRICE_DECIMALS.
    for label, decimals, stable, oracle_price in (("USDC", 6, True, PRICE_POWER), ("SOL", 9, False, 150 * PRICE_POWER)):
        mint = await create_mint(admin_client.transport, decimals)
        await admin_client.add_custody(pool, mint, oracle=oracle, fees=fees, pricing=PricingConfig(),
                                       is_stable=stable)
        custody = admin_client.custody_address(pool, mint)
        await admin_client.set_custom_oracle_price(custody, price=oracle_price, expo=-PRICE_DECIMALS, conf=0,
                                                   ema=oracle_price, publish_time=await now(connection))
        custodies[label], mints[label] = custody, mint
    console.print(f"pool [bold]{name}[/] {pool}: USDC custody (liquidity + collateral), SOL market at 150.00, "
                  f"LP cooldown {lp_cooldown_sec // 60} min")

    people: dict[str, tuple[PerpPoolClient, Pubkey, Pubkey, int]] = {}

    async def person(label: str, tokens: int) -> tuple[PerpPoolClient, Pubkey, Pubkey]:
        kp = await funded(connection)
        token = await ensure_ata(admin_client.transport, kp.pubkey(), mints["USDC"])
        lp = await ensure_ata(admin_client.transport, kp.pubkey(), admin_client.lp_mint_address(pool))
        await mint_tokens(admin_client.transport, mints["USDC"], token, tokens)
        client = admin_client.with_wallet(kp)
        people[label] = (client, token, lp, tokens)
        return client, token, lp

    for label, amount in (("LP alice", 60_000 * USDC), ("LP bob", 40_000 * USDC)):
        client, token, lp = await person(label, amount)
        # The minimum LP out defaults to the program's quote (a simulation) less 0.5 %.
        ev = (await client.add_liquidity(pool, custodies["USDC"], amount_in=amount, funding_account=token,
                                         lp_token_account=lp)).event("LiquidityAdded").data
        dead = f" ({usd(ev.dead_lp_amount)} LP of dead shares stay in the pool)" if ev.dead_lp_amount else ""
        unlock = datetime.fromtimestamp(ev.unlock_time, tz=timezone.utc).strftime("%H:%M:%S UTC")
        console.print(f"{label} deposits {usd(amount)} USDC -> {usd(ev.lp_amount_out)} LP{dead}, frozen in the "
                      f"LP account until {unlock} (the pool's LP cooldown)")

    book = (("trader carol", Side.LONG, 100, 4_000), ("trader dave", Side.LONG, 300, 3_000),
            ("trader erin", Side.SHORT, 150, 6_000), ("trader frank", Side.LONG, 80, 3_600),
            ("trader grace", Side.LONG, 200, 4_000))
    liquidation_prices: dict[str, int] = {}
    for label, side, collateral, size in book:
        client, token, _ = await person(label, 1_000 * USDC)
        ev = (await client.open_position(pool, custodies["SOL"], custodies["USDC"], side,
                                         price_limit=2**63 if side is Side.LONG else 0,
                                         collateral_amount=collateral * USDC, size_usd=size * USDC,
                                         funding_account=token)).event("PositionOpened").data
        position = client.position_address(pool, custodies["SOL"], custodies["USDC"], side)
        liq = await client.get_liquidation_price(position)
        liquidation_prices[label] = liq
        console.print(f"{label} opens a {side.value} of {usd(ev.size_usd)} USD with {usd(collateral * USDC)} USDC "
                      f"at {price(ev.price)} (fee {usd(ev.fee_amount)}), liquidation price {price(liq)}")
        if label == "trader grace":
            # A stop-market: any exit price once SOL's exit price is at or below 148.50.
            placed = (await client.place_order(pool, custodies["SOL"], custodies["USDC"], side, OrderKind.STOP_LOSS,
                                               trigger_price=14_850 * PRICE_POWER // 100, price_limit=0,
                                               size_usd=2**64 - 1, funding_account=token)).event("OrderPlaced").data
            console.print(f"{label} leaves a stop-loss at {price(placed.trigger_price)} for her whole position "
                          f"(executor fee {usd(placed.executor_fee)} USDC escrowed)")

    console.print(f"AUM {usd(await admin_client.get_assets_under_management(pool))} USD, "
                  f"LP price {usd(await admin_client.get_lp_token_price(pool))}")
    keeper_kp = await funded(connection)
    keeper_account = await ensure_ata(admin_client.transport, keeper_kp.pubkey(), mints["USDC"])
    keeper = LiquidationKeeper(admin_client.with_wallet(keeper_kp), pool, poll_interval=0.2, execute_orders=True)

    orders = keeper.orders
    assert orders is not None
    stopped: dict[Pubkey, str] = {}  # executed order -> the move that reached it

    async def keeper_pass() -> None:
        landed, executed = len(keeper.landed), len(orders.landed)
        reward = await token_balance(connection, keeper_account)
        stop = asyncio.Event()
        task = asyncio.create_task(keeper.run(stop))
        for _ in range(100):
            scan = await keeper.scan_once()
            pending = scan.orders.executable if scan.orders else []
            if not scan.liquidatable and not pending and not keeper.in_flight and not orders.in_flight:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        console.print(f"keeper executed {len(orders.landed) - executed} stop-loss order(s) and liquidated "
                      f"{len(keeper.landed) - landed} position(s); fees and rewards "
                      f"{usd(await token_balance(connection, keeper_account) - reward)} USDC")

    for sol_price, headline in ((148 * PRICE_POWER, "SOL dips 1.3 % to 148.00"),
                                (132 * PRICE_POWER, "SOL crashes 12 % to 132.00")):
        await admin_client.set_custom_oracle_price(custodies["SOL"], price=sol_price, expo=-PRICE_DECIMALS, conf=0,
                                                   ema=sol_price, publish_time=await now(connection))
        console.print(f"\n[bold red]{headline}[/]")
        await keeper_pass()
        for order in orders.landed:
            stopped.setdefault(order, headline)

    for label, side, _, _ in book:
        client, token, _lp, _ = people[label]
        position = client.position_address(pool, custodies["SOL"], custodies["USDC"], side)
        if (await connection.get_account_info(position)).value is not None:
            ev = (await client.close_position(pool, custodies["SOL"], custodies["USDC"], side,
                                              price_limit=0 if side is Side.LONG else 2**63,
                                              receiving_account=token)).event("PositionDecreased").data
            console.print(f"{label} closes: profit {usd(ev.profit_usd)}, loss {usd(ev.loss_usd)}, "
                          f"receives {usd(ev.amount_out)} USDC")
        elif label == "trader grace" and stopped:
            console.print(f"{label}'s stop-loss closed her long when {next(iter(stopped.values()))}: the crash "
                          f"to 132.00 would have liquidated her (liquidation price {price(liquidation_prices[label])}) "
                          f"and taken all 200.00 USDC of her collateral; she lost "
                          f"{usd(people[label][3] - await token_balance(connection, token))} USDC")
        else:
            console.print(f"{label} was liquidated")

    table = Table(title="Who gained and lost (USDC)")
    for col in ("participant", "started with", "wallet now", "LP value now", "gain / loss"):
        table.add_column(col, justify="right" if col != "participant" else "left")
    lp_price = await admin_client.get_lp_token_price(pool)
    total_wallets = 0
    for label, (_client, token, lp, start) in people.items():
        wallet = await token_balance(connection, token)
        lp_value = await token_balance(connection, lp) * lp_price // USDC
        total_wallets += wallet
        delta = wallet + lp_value - start
        table.add_row(label, usd(start), usd(wallet), usd(lp_value),
                      f"[green]+{usd(delta)}[/]" if delta >= 0 else f"[red]{usd(delta)}[/]")
    keeper_reward = await token_balance(connection, keeper_account)
    table.add_row("keeper", "0.00", usd(keeper_reward), "0.00", f"[green]+{usd(keeper_reward)}[/]")
    console.print(table)

    c = await admin_client.fetch_custody(custodies["USDC"])
    vault = await token_balance(connection, c.token_account)
    where = Table(title="Where every USDC is")
    where.add_column("bucket")
    where.add_column("USDC", justify="right")
    minted = sum(start for *_, start in people.values())
    pool_account = await admin_client.fetch_pool(pool)
    console.print(f"LP price {usd(lp_price)}; {usd(pool_account.dead_lp_supply)} LP of dead shares (held by no one) "
                  "are part of the LP supply")
    rows = [("wallets (LPs, traders)", total_wallets), ("keeper", keeper_reward),
            ("vault: LP liquidity (owned)", c.assets.owned), ("vault: open collateral", c.assets.collateral),
            ("vault: protocol fees", c.assets.protocol_fees), ("vault: insurance fund", c.assets.insurance_fund),
            ("vault: order escrow", c.assets.escrow), ("vault: LP stakers' rewards", c.assets.stake_rewards)]
    for label, amount in rows:
        where.add_row(label, usd(amount))
    where.add_row("[bold]total[/]", f"[bold]{usd(sum(a for _, a in rows))}[/]")
    where.add_row("minted at the start", usd(minted))
    console.print(where)
    assert vault == (c.assets.owned + c.assets.collateral + c.assets.protocol_fees + c.assets.insurance_fund
                     + c.assets.escrow + c.assets.stake_rewards)
    assert sum(a for _, a in rows) == minted, "tokens must be conserved"
    console.print("[green]every token accounted for[/]")
    await tranche_scene(connection, admin_client, fees, oracle)
    await multi_asset_scene(console, connection, admin_client, funded)
    await connection.close()


async def tranche_scene(connection: AsyncClient, admin_client: PerpPoolClient, fees: FeeConfig,
                        oracle: OracleConfig) -> None:
    """A tranched pool through a crash: the insurance fund, then junior, then senior."""
    console.print()
    console.rule("[bold]LP tranches: the insurance fund first, then junior, then senior")
    name, rate_bps, ratio_bps = "tranched", 500, 30_000
    await admin_client.add_pool(name, lp_cooldown_sec=0)
    pool = admin_client.pool_address(name)
    # Before the first deposit: the pool's LP mint becomes the junior tranche, a senior mint is added.
    await admin_client.add_senior_tranche(pool, rate_bps=rate_bps, max_senior_junior_ratio_bps=ratio_bps,
                                          senior_deposit_ratio_bps=ratio_bps)
    custodies: dict[str, Pubkey] = {}
    mints: dict[str, Pubkey] = {}
    for label, decimals, stable, oracle_price in (("USDC", 6, True, PRICE_POWER), ("SOL", 9, False, 150 * PRICE_POWER)):
        mint = await create_mint(admin_client.transport, decimals)
        await admin_client.add_custody(pool, mint, oracle=oracle, fees=fees, pricing=PricingConfig(), is_stable=stable)
        custody = admin_client.custody_address(pool, mint)
        await admin_client.set_custom_oracle_price(custody, price=oracle_price, expo=-PRICE_DECIMALS, conf=0,
                                                   ema=oracle_price, publish_time=await now(connection))
        custodies[label], mints[label] = custody, mint
    usdc, sol = custodies["USDC"], custodies["SOL"]
    admin_usdc = await ensure_ata(admin_client.transport, admin_client.wallet.pubkey(), mints["USDC"])
    await mint_tokens(admin_client.transport, mints["USDC"], admin_usdc, 500 * USDC)
    await admin_client.top_up_insurance_fund(pool, usdc, amount=500 * USDC, funding_account=admin_usdc)
    console.print(f"pool [bold]{name}[/] {pool}: a senior tranche earning {rate_bps // 100} % a year, senior NAV "
                  f"at most {ratio_bps // 10_000}x junior NAV; the admin puts 500.00 USDC in the insurance fund")

    async def wallet(amount: int) -> tuple[PerpPoolClient, Pubkey]:
        kp = await funded(connection)
        token = await ensure_ata(admin_client.transport, kp.pubkey(), mints["USDC"])
        await mint_tokens(admin_client.transport, mints["USDC"], token, amount)
        return admin_client.with_wallet(kp), token

    lps: dict[Tranche, tuple[PerpPoolClient, Pubkey, Pubkey]] = {}
    for label, tranche, amount in (("LP jo", Tranche.JUNIOR, 20_000 * USDC), ("LP sam", Tranche.SENIOR, 40_000 * USDC)):
        client, token = await wallet(amount)
        lp_mint = admin_client.lp_mint_address(pool, tranche)
        lp = await ensure_ata(admin_client.transport, client.wallet.pubkey(), lp_mint)
        ev = (await client.add_liquidity(pool, usdc, amount_in=amount, funding_account=token, lp_token_account=lp,
                                         tranche=tranche)).event("LiquidityAdded").data
        lps[tranche] = (client, token, lp)
        console.print(f"{label} deposits {usd(amount)} USDC into the {tranche.value} tranche -> "
                      f"{usd(ev.lp_amount_out)} {tranche.value} LP")

    positions: dict[str, tuple[PerpPoolClient, Pubkey, Side]] = {}
    book = (("trader kim", Side.SHORT, 1_500, 30_000), ("trader lee", Side.LONG, 250, 10_000))
    for label, side, collateral, size in book:
        client, token = await wallet(collateral * USDC)
        ev = (await client.open_position(pool, sol, usdc, side, price_limit=2**63 if side is Side.LONG else 0,
                                         collateral_amount=collateral * USDC, size_usd=size * USDC,
                                         funding_account=token)).event("PositionOpened").data
        positions[label] = (client, token, side)
        console.print(f"{label} opens a {side.value} of {usd(ev.size_usd)} USD with {usd(collateral * USDC)} USDC "
                      f"at {price(ev.price)}")

    before = await admin_client.get_tranche_state(pool)
    started = await now(connection)
    crash = 120 * PRICE_POWER
    await admin_client.set_custom_oracle_price(sol, price=crash, expo=-PRICE_DECIMALS, conf=0, ema=crash,
                                               publish_time=await now(connection))
    console.print("\n[bold red]SOL crashes 20 % to 120.00[/]")
    keeper = admin_client.with_wallet(await funded(connection))
    keeper_usdc = await ensure_ata(admin_client.transport, keeper.wallet.pubkey(), mints["USDC"])
    lee, _, lee_side = positions["trader lee"]
    liq = (await keeper.liquidate(lee.position_address(pool, sol, usdc, lee_side), receiving_account=keeper_usdc)
           ).event("PositionLiquidated").data
    console.print(f"trader lee is liquidated: a loss of {usd(liq.loss_usd)} USD, far past his collateral; the "
                  f"insurance fund pays {usd(liq.insurance_draw)} USDC of the shortfall and {usd(liq.bad_debt_usd)} "
                  "USD is bad debt, borne by the LPs")
    kim, kim_token, kim_side = positions["trader kim"]
    closed = (await kim.close_position(pool, sol, usdc, kim_side, price_limit=2**63, receiving_account=kim_token)
              ).event("PositionDecreased").data
    console.print(f"trader kim closes her short: a profit of {usd(closed.profit_usd)} USD, paid by the pool")
    after = await admin_client.get_tranche_state(pool)
    elapsed = await now(connection) - started

    table = Table(title="The tranches before and after the crash (USD)")
    for col in ("", "before", "after", "change"):
        table.add_column(col, justify="left" if not col else "right")
    rows = [("insurance fund", before.insurance_fund_usd, after.insurance_fund_usd),
            ("junior NAV", before.junior_nav_min_usd, after.junior_nav_min_usd),
            ("senior NAV", before.senior_nav_min_usd, after.senior_nav_min_usd),
            ("junior LP price", before.junior_price_usd, after.junior_price_usd),
            ("senior LP price", before.senior_price_usd, after.senior_price_usd)]
    cells = (column([r[1] for r in rows], USD_DECIMALS), column([r[2] for r in rows], USD_DECIMALS),
             column([r[2] - r[1] for r in rows], USD_DECIMALS))
    for i, (label, old, new) in enumerate(rows):
        change = cells[2][i]
        change = f"+{change}" if new > old else change
        table.add_row(label, cells[0][i], cells[1][i],
                      f"[red]{change}[/]" if new < old else f"[green]{change}[/]" if new > old else change)
    ratios = column([before.senior_to_junior_bps, after.senior_to_junior_bps], BPS_DECIMALS)
    limit = column([after.max_senior_junior_ratio_bps], BPS_DECIMALS)[0]
    table.add_row("senior / junior", f"{ratios[0]}x", f"{ratios[1]}x", f"limit {limit}x")
    console.print(table)
    assert after.insurance_fund_usd < before.insurance_fund_usd, "the insurance fund pays bad debt first"
    assert after.junior_nav_min_usd < before.junior_nav_min_usd, "the junior tranche takes the loss"
    assert after.senior_nav_min_usd >= before.senior_nav_min_usd, "the senior tranche is untouched"
    grew = after.senior_nav_min_usd - before.senior_nav_min_usd
    senior = ("the senior NAV is untouched" if not grew else
              f"the senior NAV only grew, by its {rate_bps // 100} % a year accruing over the {elapsed} s "
              f"(+{column([grew], USD_DECIMALS)[0]} USD)")
    console.print(f"the insurance fund paid first; the junior tranche lost "
                  f"{usd(before.junior_nav_min_usd - after.junior_nav_min_usd)} USD; {senior}")

    jo, jo_token, jo_lp = lps[Tranche.JUNIOR]
    half = await token_balance(connection, jo_lp) // 2
    cooldown = await jo.fetch_lp_cooldown(jo_lp)  # the pool's is 0 s: over once the deposit's slot has passed
    while cooldown is not None and (await connection.get_slot(Confirmed)).value <= cooldown.deposit_slot:
        await asyncio.sleep(0.1)
    try:
        await jo.remove_liquidity(pool, usdc, lp_amount_in=half, receiving_account=jo_token, lp_token_account=jo_lp,
                                  tranche=Tranche.JUNIOR)
        console.print("LP jo withdraws half of his junior LP")
    except errors.CoverageLimitExceeded:
        console.print(f"LP jo tries to withdraw half of his junior LP: refused (CoverageLimitExceeded), it would leave "
                      f"the senior NAV above {limit}x the junior NAV that protects it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpc-url", help="use this node instead of starting perp-localnet")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.rpc_url:
        asyncio.run(run(args.rpc_url))
        return 0
    with LocalNode() as node:
        console.print(f"perp-localnet started at {node.url} (healthy in {node.start_to_healthy_s:.2f}s)")
        asyncio.run(run(node.url))
    console.print("node stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
