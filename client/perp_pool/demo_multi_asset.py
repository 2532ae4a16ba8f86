"""The demo's multi-asset scene (`make demo`, after the tranches): a SOL + USDC pool whose LPs
deposit both assets, each custody with a target weight (USDC 55 %, SOL 45 %) and bounds.

A trader goes long SOL with SOL collateral (the long's payoff is locked in the SOL custody, and the
pool's net SOL exposure shrinks by the long); SOL rises 10 % and he closes: his profit is paid in
SOL, out of the SOL custody. SOL then falls to 135, under its target: a SOL deposit (toward the
targets) is quoted below the flat fee, a USDC deposit of the same value (away) above it; an
arbitrageur swaps SOL for USDC, which moves both custodies toward their targets, for a lower fee
than the opposite swap. Every token of both custodies is accounted for at the end.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.cli.queries import fetch_custodies
from perp_pool.cli.weights import render_weights, weights_summary
from perp_pool.client import FeeConfig, OracleConfig, PerpPoolClient, PricingConfig, WeightConfig, weight_bps
from perp_pool.clock import node_unix_time
from perp_pool.constants import PRICE_DECIMALS, PRICE_POWER
from perp_pool.math.pricing import Side
from perp_pool.tokens import create_mint, ensure_ata, mint_tokens, token_balance

__all__ = ["multi_asset_scene"]

USDC = 10**6
SOL = 10**9
WEIGHTS = {"USDC": WeightConfig(target_bps=5_500, min_bps=3_000, max_bps=8_000, tax_bps=10, swap_bps=5),
           "SOL": WeightConfig(target_bps=4_500, min_bps=2_000, max_bps=7_000, tax_bps=50, swap_bps=20)}


def _amount(value: int, decimals: int, places: int = 2) -> str:
    return f"{Decimal(value).scaleb(-decimals):,.{places}f}"


def _pct(bps: int) -> str:
    return f"{Decimal(bps) / 100:.2f} %"


class _Scene:
    def __init__(self, console: Console, connection: AsyncClient, admin: PerpPoolClient, pool: Pubkey,
                 custodies: dict[str, Pubkey], mints: dict[str, Pubkey]):
        self.console = console
        self.connection = connection
        self.admin = admin
        self.pool = pool
        self.custodies = custodies
        self.mints = mints
        self.legend_shown = False

    async def wallet(self, tokens: dict[str, int], funded: Keypair) -> tuple[PerpPoolClient, dict[str, Pubkey]]:
        accounts = {}
        for symbol, amount in tokens.items():
            accounts[symbol] = await ensure_ata(self.admin.transport, funded.pubkey(), self.mints[symbol])
            if amount:
                await mint_tokens(self.admin.transport, self.mints[symbol], accounts[symbol], amount)
        return self.admin.with_wallet(funded), accounts

    async def set_price(self, symbol: str, price: int) -> None:
        await self.admin.set_custom_oracle_price(self.custodies[symbol], price=price, expo=-PRICE_DECIMALS, conf=0,
                                                 ema=price, publish_time=await node_unix_time(self.connection))

    async def weights(self, title: str, *, weights: bool = True, exposure: bool = True) -> None:
        """The CLI's tables (`pool info`), with symbols for mints; the legend once."""
        accounts = await fetch_custodies(self.admin, self.custodies.values())
        summary = await weights_summary(self.admin, self.pool, accounts, {str(m): s for s, m in self.mints.items()})
        self.console.print()
        render_weights(self.console, summary, title, weights=weights, exposure=exposure, legend=not self.legend_shown)
        self.legend_shown = self.legend_shown or weights

    async def sol_custody(self) -> Any:
        return (await self.admin.fetch_custody(self.custodies["SOL"])).assets


async def multi_asset_scene(console: Console, connection: AsyncClient, admin: PerpPoolClient,
                            funded: Any) -> None:
    """`funded()`: a new keypair with SOL for fees (the demo's)."""
    console.print()
    console.rule("[bold]A multi-asset pool: LPs deposit SOL and USDC, fees steer the weights")
    name = "multi"
    await admin.add_pool(name, lp_cooldown_sec=0)
    pool = admin.pool_address(name)
    custodies: dict[str, Pubkey] = {}
    mints: dict[str, Pubkey] = {}
    s = _Scene(console, connection, admin, pool, custodies, mints)
    pricing = PricingConfig(trade_spread_long_bps=10, trade_spread_short_bps=10)
    fees = FeeConfig(add_liquidity_bps=10, remove_liquidity_bps=10)  # the flat fees the weights steer
    for symbol, decimals, stable, price in (("USDC", 6, True, PRICE_POWER), ("SOL", 9, False, 150 * PRICE_POWER)):
        mint = await create_mint(admin.transport, decimals)
        await admin.add_custody(pool, mint, oracle=OracleConfig(max_price_age_sec=600), fees=fees, pricing=pricing,
                                is_stable=stable)
        custody = admin.custody_address(pool, mint)
        await admin.set_custody_weights(pool, custody, WEIGHTS[symbol])
        custodies[symbol], mints[symbol] = custody, mint
        await s.set_price(symbol, price)
    console.print(f"pool [bold]{name}[/] {pool}: USDC (stable, target 55 %, 30-80 %, weight tax 10 BPS) and SOL "
                  "(volatile, target 45 %, 20-70 %, weight tax 50 BPS), flat deposit and redemption fees 10 BPS; SOL "
                  "at 150.00")

    lp_mint = admin.lp_mint_address(pool)
    for label, symbol, amount in (("LP ann", "USDC", 55_000 * USDC), ("LP ben", "SOL", 300 * SOL)):
        client, accounts = await s.wallet({symbol: amount}, await funded(connection))
        lp = await ensure_ata(admin.transport, client.wallet.pubkey(), lp_mint)
        ev = (await client.add_liquidity(pool, custodies[symbol], amount_in=amount, funding_account=accounts[symbol],
                                         lp_token_account=lp)).event("LiquidityAdded").data
        decimals = 6 if symbol == "USDC" else 9
        why = ("the pool owned nothing: the flat fee" if symbol == "USDC" else
               "SOL from 0 % to just past its 45 % target: across the target there is no rebate, the flat fee "
               "plus the tax on the part beyond it")
        console.print(f"{label} deposits {_amount(amount, decimals)} {symbol} -> {_amount(ev.lp_amount_out, 6)} LP, "
                      f"fee {ev.fee_bps} BPS ({why})")
    await s.weights("weights: funded at the targets")

    # ---- a long on SOL, backed by SOL: its profit is paid in SOL -------------------------------
    trader, trader_accounts = await s.wallet({"SOL": 10 * SOL}, await funded(connection))
    sol = custodies["SOL"]
    before_open = await s.sol_custody()
    long_open = False
    try:
        opened = (await trader.open_position(pool, sol, sol, Side.LONG, price_limit=2**63, collateral_amount=2 * SOL,
                                             size_usd=3_000 * USDC, funding_account=trader_accounts["SOL"])
                  ).event("PositionOpened").data
        long_open = True
        locked = (await s.sol_custody()).locked - before_open.locked
        console.print("\ntrader tom goes long 3,000.00 USD of SOL with 2.00 SOL of collateral at "
                      f"{_amount(opened.price, 9)}: the SOL custody locks {_amount(locked, 9, 4)} SOL of what the "
                      "LPs own, his maximum payoff; the pool is now less long SOL:")
        await s.weights("net exposure of the pool, after tom's long", weights=False)
    except errors.InvalidCollateralCustody:
        console.print("\n[yellow]this build of the program refuses a long with SOL collateral "
                      "(InvalidCollateralCustody): the asset-backed long of this scene is left out[/]")

    if long_open:
        await s.set_price("SOL", 165 * PRICE_POWER)
        console.print("\n[bold green]SOL rises 10 % to 165.00[/]")
        before_close = await s.sol_custody()
        wallet_before = await token_balance(connection, trader_accounts["SOL"])
        closed = (await trader.close_position(pool, sol, sol, Side.LONG, price_limit=0,
                                              receiving_account=trader_accounts["SOL"])).event("PositionDecreased").data
        after_close = await s.sol_custody()
        received = await token_balance(connection, trader_accounts["SOL"]) - wallet_before
        console.print(f"trader tom closes at {_amount(closed.exit_price, 9)}: a profit of "
                      f"{_amount(closed.profit_usd, 6)} USD, {_amount(closed.profit_amount, 9, 4)} SOL paid by the SOL "
                      f"custody; he receives {_amount(received, 9, 4)} SOL (his collateral and the profit, less the "
                      "fees)")
        console.print(f"  SOL custody owned  {_amount(before_close.owned, 9, 4):>9} -> "
                      f"{_amount(after_close.owned, 9, 4):>9} SOL: the profit leaves the LPs' SOL")
        console.print(f"  SOL custody locked {_amount(before_close.locked, 9, 4):>9} -> "
                      f"{_amount(after_close.locked, 9, 4):>9} SOL: the payoff lock is released")

    await s.set_price("SOL", 135 * PRICE_POWER)
    console.print("\n[bold red]SOL falls to 135.00[/]: the pool's SOL is now worth less than its 45 % target, "
                  "its USDC more than its 55 %")
    await s.weights("weights after the fall", exposure=False)

    # ---- deposits: toward the targets is cheaper than away --------------------------------------
    sol_quote = await admin.get_add_liquidity_amount_and_fee(pool, sol, amount_in=20 * SOL)
    usdc_quote = await admin.get_add_liquidity_amount_and_fee(pool, custodies["USDC"], amount_in=2_700 * USDC)
    console.print("\ntwo deposits of the same value, 2,700.00 USD (the program's quotes; both flat fees are 10 BPS):")
    console.print(f"  20.00 SOL     toward SOL's target:    fee {sol_quote.fee_bps:>2} BPS "
                  f"({_amount(sol_quote.fee_amount, 9, 4)} SOL)  -> {_amount(sol_quote.amount_out, 6)} LP")
    console.print(f"  2,700.00 USDC away from USDC's target: fee {usdc_quote.fee_bps:>2} BPS "
                  f"({_amount(usdc_quote.fee_amount, 6)} USDC) -> {_amount(usdc_quote.amount_out, 6)} LP")
    assert sol_quote.fee_bps < usdc_quote.fee_bps, "the deposit toward the target pays less"

    # ---- an arbitrageur rebalances with a swap --------------------------------------------------
    arb, _ = await s.wallet({"USDC": 0, "SOL": 30 * SOL}, await funded(connection))
    toward = await arb.get_swap_amount_and_fee(pool, mints["SOL"], mints["USDC"], amount_in=20 * SOL)
    away = await arb.get_swap_amount_and_fee(pool, mints["USDC"], mints["SOL"], amount_in=2_700 * USDC)
    console.print(f"\narbitrageur ada compares: SOL -> USDC fee {toward.fee_bps} BPS (both custodies move toward "
                  f"their targets), USDC -> SOL fee {away.fee_bps} BPS (away)")
    swapped = (await arb.swap(pool, mints["SOL"], mints["USDC"], amount_in=20 * SOL)).event("Swapped").data
    console.print(f"ada swaps 20.00 SOL for {_amount(swapped.amount_out, 6)} USDC (fee {swapped.fee_bps} BPS, "
                  f"{_amount(swapped.fee_amount, 6)} USDC): SOL's weight rises to "
                  f"{_pct(weight_bps(swapped.receiving_weight_ppb))}, USDC's falls to "
                  f"{_pct(weight_bps(swapped.dispensing_weight_ppb))}")
    assert toward.fee_bps < away.fee_bps, "the rebalancing swap pays less"
    await s.weights("weights after the swap", exposure=False)

    for symbol in ("USDC", "SOL"):
        c = await admin.fetch_custody(custodies[symbol])
        a = c.assets
        vault = await token_balance(connection, c.token_account)
        assert vault == a.owned + a.collateral + a.protocol_fees + a.insurance_fund + a.escrow + a.stake_rewards, (
            f"{symbol}: every token of the vault is owned, collateral, fees, insurance, escrow or rewards")
    console.print("[green]every token of both custodies accounted for[/]")
