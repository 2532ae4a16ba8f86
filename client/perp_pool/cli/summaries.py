"""What `pool info` and `positions list` show: a pool's AUM, LP supply and custodies, and its
positions valued with `perp_pool.math` (the same inputs `Position::valuation` uses on-chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.cli.output import jsonable
from perp_pool.cli.queries import (
    OracleReading,
    PoolRef,
    checked_prices,
    fetch_custodies,
    is_tranched,
    oracle_type_name,
    read_oracles,
    unix_now,
)
from perp_pool.cli.symbols import config_symbols
from perp_pool.cli.weights import weights_summary
from perp_pool.client import PerpPoolClient, side_of
from perp_pool.client.staking import tranche_name
from perp_pool.keeper.health import MarketState, PositionView, valuation
from perp_pool.math.borrow import utilization
from perp_pool.math.health import assess
from perp_pool.math.liquidity import lp_token_price_usd
from perp_pool.math.pnl import HealthInputs
from perp_pool.math.tranche import SeniorTerms, Tranche, TrancheNavs, senior_to_junior_bps, tranche_price

# Position account layout (borsh after Anchor's 8-byte discriminator): owner, then pool.
DISCRIMINATOR_LEN = 8
PUBKEY_LEN = 32
POSITION_OWNER_OFFSET = DISCRIMINATOR_LEN
POSITION_POOL_OFFSET = POSITION_OWNER_OFFSET + PUBKEY_LEN


@dataclass(frozen=True)
class Valuation:
    exit_price: int
    health: HealthInputs
    profit_usd: int
    loss_usd: int
    equity_usd: int
    leverage_bps: int
    liquidation_price: int
    liquidatable: bool


def value_position(position: Any, market: Any, collateral: Any, market_prices: OracleReading,
                   collateral_prices: OracleReading, now: int) -> Valuation:
    """The keeper's valuation (keeper/health.py: the program's inputs and math, PnL from the
    position's quantity) of an anchorpy-decoded position, plus its liquidation price."""
    view = PositionView.from_account(Pubkey.default(), position)
    v = valuation(view, MarketState(market, *market_prices), MarketState(collateral, *collateral_prices), now)
    h = assess(v, with_liquidation_price=True)
    assert h.liquidation_price is not None
    return Valuation(h.exit_price, v.health, h.profit_usd, h.loss_usd, h.equity_usd, h.leverage_bps,
                     h.liquidation_price, h.liquidatable)


async def fetch_positions(client: PerpPoolClient, pool: Pubkey, owner: Pubkey | None) -> list[Any]:
    """One getProgramAccounts: the Position discriminator (anchorpy adds it at offset 0), the pool
    and optionally the owner."""
    filters: list[MemcmpOpts | int] = [MemcmpOpts(offset=POSITION_POOL_OFFSET, bytes=str(pool))]
    if owner is not None:
        filters.append(MemcmpOpts(offset=POSITION_OWNER_OFFSET, bytes=str(owner)))
    found = await client.program.account["Position"].all(filters=filters)
    return sorted(found, key=lambda p: (str(p.account.custody), str(p.account.owner), str(p.public_key)))


async def list_positions(client: PerpPoolClient, pool: PoolRef, owner: Pubkey | None,
                         verify: bool) -> dict[str, Any]:
    positions = await fetch_positions(client, pool.address, owner)
    custodies = await fetch_custodies(client, [k for p in positions
                                               for k in (p.account.custody, p.account.collateral_custody)])
    now = await unix_now(client)
    oracles = await read_oracles(client, custodies, now)
    rows = []
    for found in positions:
        p = found.account
        market, collateral = custodies[p.custody], custodies[p.collateral_custody]
        row: dict[str, Any] = {
            "address": str(found.public_key),
            "owner": str(p.owner),
            "custody": str(p.custody),
            "collateral_custody": str(p.collateral_custody),
            "market_mint": str(market.mint),
            "collateral_mint": str(collateral.mint),
            "collateral_decimals": collateral.decimals,
            "side": side_of(p.side).value,
            "size_usd": p.size_usd,
            "quantity": p.quantity,
            "collateral_amount": p.collateral_amount,
            "locked_amount": p.locked_amount,
            "entry_price": p.price,
            "open_time": p.open_time,
            "realized_pnl_usd": p.realized_pnl_usd,
        }
        try:
            v = value_position(p, market, collateral, checked_prices(oracles, p.custody),
                               checked_prices(oracles, p.collateral_custody), now)
            row.update({
                "exit_price": v.exit_price,
                "collateral_usd": v.health.collateral_usd,
                "pnl_usd": v.profit_usd - v.loss_usd,
                "interest_usd": v.health.interest_usd,
                "close_fee_usd": v.health.close_fee_usd,
                "equity_usd": v.equity_usd,
                "leverage_bps": v.leverage_bps if v.equity_usd > 0 else None,  # no equity: unbounded
                "liquidation_price": v.liquidation_price,
                "liquidatable": v.liquidatable,
                "error": None,
            })
            if verify:
                row.update(await _verify_liquidation_price(client, found.public_key, p, market, collateral,
                                                           oracles, now, v.liquidation_price))
        except errors.TransactionFailed as exc:
            row.update({"exit_price": None, "collateral_usd": None, "pnl_usd": None, "interest_usd": None,
                        "close_fee_usd": None, "equity_usd": None, "leverage_bps": None,
                        "liquidation_price": None, "liquidatable": None, "error": type(exc).__name__})
        rows.append(row)
    return {"pool": str(pool.address), "pool_name": pool.name, "clock": now, "positions": rows}


async def _verify_liquidation_price(client: PerpPoolClient, address: Pubkey, p: Any, market: Any, collateral: Any,
                                    oracles: dict[Pubkey, OracleReading | errors.TransactionFailed], now: int,
                                    offchain: int) -> dict[str, Any]:
    """Asks the program (`get_liquidation_price`). Interest accrues with the clock, so when the
    clock moved between our read and the simulation, the off-chain value is recomputed at the new
    clock: the view ran at one of the two."""
    onchain = await client.get_liquidation_price(address)
    if onchain != offchain:
        later = await unix_now(client)
        if later != now:
            offchain = value_position(p, market, collateral, checked_prices(oracles, p.custody),
                                      checked_prices(oracles, p.collateral_custody), later).liquidation_price
    return {"liquidation_price": offchain, "liquidation_price_onchain": onchain,
            "liquidation_price_match": onchain == offchain}


# ---- pool summary -----------------------------------------------------------------------------


async def pool_info(client: PerpPoolClient, pool: PoolRef) -> dict[str, Any]:
    lp_mint = pool.account.lp_token_mint
    supply = (await client.connection.get_token_supply(lp_mint, commitment=Confirmed)).value
    aum = await client.get_assets_under_management(pool.address)
    lp_price = await client.get_lp_token_price(pool.address)
    custodies = await fetch_custodies(client, pool.account.custodies)
    rows = []
    for address in pool.account.custodies:
        c = custodies[address]
        prices = await client.get_oracle_price(pool.address, address)
        a = c.assets
        rows.append({
            "address": str(address),
            "mint": str(c.mint),
            "decimals": c.decimals,
            "is_stable": c.is_stable,
            "oracle_type": oracle_type_name(c).lower(),
            "oracle_account": str(c.oracle.oracle_account),
            "owned": a.owned,
            "locked": a.locked,
            "collateral": a.collateral,
            "protocol_fees": a.protocol_fees,
            "insurance_fund": a.insurance_fund,
            "escrow": a.escrow,
            "stake_rewards": a.stake_rewards,
            "stake_rewards_routed": c.stake_rewards_routed,
            "bad_debt_usd": c.bad_debt_usd,
            "utilization": utilization(a.locked, a.owned),
            "borrow_rate": c.borrow_rate_state.current_rate,
            "long_size_usd": c.long_positions.size_usd,
            "long_positions": c.long_positions.open_positions,
            "short_size_usd": c.short_positions.size_usd,
            "short_positions": c.short_positions.open_positions,
            "oracle_price": {"spot": prices.spot, "ema": prices.ema, "min": prices.min, "max": prices.max},
        })
    return {
        "name": pool.name,
        "address": str(pool.address),
        "staking": await staking_info(client, pool),
        "tranched": is_tranched(pool),
        "lp_mint": str(lp_mint),
        "lp_decimals": supply.decimals,
        "lp_supply": int(supply.amount),
        # Issued to no one by the first deposit: LP prices count them (supply + dead).
        "dead_lp_supply": pool.account.dead_lp_supply,
        "lp_cooldown_sec": pool.account.lp_cooldown_sec,
        "aum_usd": aum,
        "lp_price_usd": lp_price,
        # The tranches (get_tranche_state) of a tranched pool; null for a pool without them.
        "tranches": await tranche_summary(client, pool) if is_tranched(pool) else None,
        "custodies": rows,
        # get_pool_weights: owned value and weight per custody against its rule, net exposure.
        "weights": await weights_summary(client, pool.address, custodies,
                                         {str(m): sym for sym, m in config_symbols(pool.name).items()}),
    }


async def staking_info(client: PerpPoolClient, pool: PoolRef) -> dict[str, Any] | None:
    """The pool's stake pool (None without one): its ladder and, per open tranche slot, the
    program's view after an update to now (staked and locked LP, their shares of the tranche's LP
    supply dead shares included, the locks' weighted remaining time, weight, pending rewards)."""
    try:
        sp = await client.fetch_stake_pool(pool.address)
    except errors.AccountNotFound:
        return None
    tranches = []
    for vault, lp_mint in zip(sp.vaults, sp.lp_mints, strict=True):
        if vault == Pubkey.default():
            continue
        st = await client.get_stake_pool_state(pool.address, lp_mint)
        tranches.append({
            "tranche": tranche_name(st.tranche),
            "lp_mint": str(lp_mint),
            "vault": str(vault),
            "staked_amount": st.staked_amount,
            "locked_amount": st.locked_amount,
            "lp_supply": st.lp_supply,
            "staked_share_bps": st.staked_share_bps,
            "locked_share_bps": st.locked_share_bps,
            "weighted_remaining_lock_sec": st.weighted_remaining_lock_sec,
            "total_weight": st.total_weight,
            "reward_index": st.reward_index,
            "pending_routed": st.pending_routed,
            "entitled": st.entitled,
            "returned_to_lps": st.returned_to_lps,
            "claimed": st.claimed,
        })
    return {
        "stake_pool": str(client.stake_pool_address(pool.address)),
        "reward_custody": str(sp.reward_custody),
        "junior_share_bps": sp.split.junior_share_bps,
        "ladder": [{"duration_days": t.duration_days, "multiplier_bps": t.multiplier_bps}
                   for t in sp.ladder[:sp.tier_count]],
        "tranches": tranches,
    }


# ---- tranches -----------------------------------------------------------------------------------


async def tranche_summary(client: PerpPoolClient, pool: PoolRef) -> dict[str, Any]:
    """`get_tranche_state` now, every field (USD values USD_DECIMALS, the senior index
    SENIOR_INDEX_DECIMALS, supplies LP base units, ratios BPS), without the (empty) stress."""
    state = jsonable(await client.get_tranche_state(pool.address))
    del state["stress"]
    return {"senior_lp_mint": str(pool.account.senior.mint), **state}


async def tranche_stress(client: PerpPoolClient, pool: PoolRef, trader_profit_usd: int,
                         bad_debt_usd: int) -> dict[str, Any]:
    """What the loss would do (get_tranche_state's `stress`, the view's numbers as they are), and
    the LP prices and coverage ratio it would leave, computed from them as the program prices LP."""
    state = jsonable(await client.get_tranche_state(pool.address, trader_profit_usd=trader_profit_usd,
                                                    bad_debt_usd=bad_debt_usd))
    stress = state["stress"]
    senior_supply = state["senior_supply"]
    navs_after = TrancheNavs(junior_usd=stress["junior_nav_after_usd"], senior_usd=stress["senior_nav_after_usd"])
    # Priced as the program prices LP (math/tranche.rs `tranche_price`) at the view's index, held
    # fixed (rate 0): a covered senior at its index, an impaired one at NAV / supply.
    at_index = SeniorTerms(index=state["senior_index"], index_time=0, rate_bps=0)
    senior_price = lp_token_price_usd(*tranche_price(navs_after, at_index, senior_supply, 0, Tranche.SENIOR, False))
    return {
        "name": pool.name,
        "address": str(pool.address),
        "trader_profit_usd": trader_profit_usd,
        "bad_debt_usd": bad_debt_usd,
        **({"senior_lp_mint": str(pool.account.senior.mint)} if state["tranched"] else {}),
        **state,
        "after": {
            "junior_price_usd": lp_token_price_usd(stress["junior_nav_after_usd"], state["junior_supply"]),
            "senior_price_usd": senior_price,
            "senior_to_junior_bps": senior_to_junior_bps(navs_after),
        },
    }
