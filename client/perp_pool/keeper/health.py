"""Off-chain position health, exactly as `liquidate` decides it, from raw account bytes.

`decode_position` reads the fixed Position layout with one `struct.unpack_from` (the anchorpy coder
is ~50x slower and a keeper decodes every position every scan); `evaluate` applies the integer
ports in perp_pool.math to the same inputs the program uses: the market's exit price (oracle,
EMA rule, spread), collateral valued at the collateral custody's min price, the close fee and the
interest accrued to `now` on the collateral custody's borrow index.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from anchorpy.coder.accounts import _account_discriminator
from solders.pubkey import Pubkey

from perp_pool.math import borrow, fees, pnl, pricing
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice, min_max_price, validate_oracle_price
from perp_pool.math.pricing import Side
from perp_pool import errors
from perp_pool.pyth import PYTH_RECEIVER_PROGRAM_ID
from perp_pool.pyth import decode as decode_pyth

POSITION_DISCRIMINATOR = _account_discriminator("Position")
POSITION_POOL_OFFSET = 8 + 32  # discriminator, owner
_POSITION = struct.Struct("<8s32s32s32s32sBqqQQQQQQQqQB")
POSITION_SIZE = _POSITION.size  # 226


@dataclass(frozen=True)
class PositionView:
    address: Pubkey
    owner: Pubkey
    pool: Pubkey
    custody: Pubkey
    collateral_custody: Pubkey
    side: Side
    price: int
    size_usd: int
    collateral_amount: int
    locked_amount: int
    cumulative_interest_snapshot: int


def decode_position(address: Pubkey, data: bytes) -> PositionView:
    (disc, owner, pool, custody, collateral_custody, side, _open, _update, price, size_usd, collateral_amount,
     _collateral_usd, locked_amount, snap_lo, snap_hi, _pnl, _fees, _bump) = _POSITION.unpack_from(data)
    if disc != POSITION_DISCRIMINATOR:
        raise ValueError(f"{address} is not a Position account")
    return PositionView(address, Pubkey.from_bytes(owner), Pubkey.from_bytes(pool), Pubkey.from_bytes(custody),
                        Pubkey.from_bytes(collateral_custody), Side.LONG if side == 0 else Side.SHORT, price,
                        size_usd, collateral_amount, locked_amount, snap_lo | (snap_hi << 64))


@dataclass(frozen=True)
class MarketState:
    """What health needs from one custody (decoded once per scan) and its oracle."""

    custody: Any  # anchorpy-decoded Custody
    spot: OraclePrice
    ema: OraclePrice

    def trade_prices(self) -> pricing.TradePrices:
        return pricing.trade_prices(self.spot, self.ema, self.custody.pricing.use_ema)

    def min_max(self) -> tuple[OraclePrice, OraclePrice]:
        return min_max_price(self.spot, self.ema)


def raw_oracle_price(program_id: Pubkey, coder: Any, custody: Any, info: Any) -> tuple[int, int, int, int, int]:
    """(price, expo, conf, ema, publish_time) of the custody's oracle account, with the account checks
    `read_oracle_price` makes on-chain (owner, type, Pyth verification level and feed id)."""
    kind = type(custody.oracle.oracle_type).__name__.rstrip("_")
    if info is None:
        raise errors.InvalidOracleAccount(f"oracle account {custody.oracle.oracle_account} does not exist")
    data = bytes(info.data)
    if kind == "Custom":
        if info.owner != program_id:
            raise errors.InvalidOracleAccount()
        try:
            oracle = coder.decode(data)
        except Exception:
            raise errors.InvalidOracleAccount() from None
        if type(oracle).__name__ != "CustomOracle":
            raise errors.InvalidOracleAccount()
        return oracle.price, oracle.expo, oracle.conf, oracle.ema, oracle.publish_time
    if kind == "Pyth":
        if info.owner != PYTH_RECEIVER_PROGRAM_ID:
            raise errors.InvalidOracleAccount()
        try:
            update = decode_pyth(data)
        except (ValueError, struct.error, IndexError):
            raise errors.InvalidOracleAccount() from None
        if not update.fully_verified:
            raise errors.OracleNotFullyVerified()
        if bytes(update.feed_id) != bytes(custody.oracle.feed_id):
            raise errors.InvalidOracleAccount()
        if update.price <= 0:
            raise errors.InvalidOraclePrice()
        return update.price, update.exponent, update.conf, max(update.ema_price, 0), update.publish_time
    raise errors.InvalidOracleType()


def checked_oracle_price(program_id: Pubkey, coder: Any, custody: Any, info: Any,
                         now: int) -> tuple[OraclePrice, OraclePrice]:
    """(spot, ema) exactly as the program would read them at `now`, or the error it would raise."""
    price, expo, conf, ema, publish_time = raw_oracle_price(program_id, coder, custody, info)
    o = custody.oracle
    return validate_oracle_price(price=price, expo=expo, conf=conf, ema=ema, publish_time=publish_time, now=now,
                                 max_price_age_sec=o.max_price_age_sec, max_price_error_bps=o.max_price_error_bps)


@dataclass(frozen=True)
class Health:
    liquidatable: bool
    equity_usd: int
    leverage_bps: int
    liquidation_price: int | None = None


def health_inputs(p: PositionView, market: MarketState, collateral: MarketState, now: int) -> pnl.HealthInputs:
    lo, _hi = collateral.min_max()
    c = collateral.custody
    state = c.borrow_rate_state
    cumulative = borrow.accrued_cumulative_interest(state.cumulative_interest, state.current_rate,
                                                    state.last_update, now)
    return pnl.HealthInputs(
        side=p.side,
        entry_price=p.price,
        size_usd=p.size_usd,
        collateral_usd=lo.token_to_usd(p.collateral_amount, c.decimals, Rounding.FLOOR),
        max_profit_usd=lo.token_to_usd(p.locked_amount, c.decimals, Rounding.FLOOR),
        close_fee_usd=fees.close_position_fee_usd(p.size_usd, market.custody.fees.close_position_bps),
        interest_usd=borrow.position_interest_usd(cumulative, p.cumulative_interest_snapshot, p.size_usd),
        max_leverage_bps=market.custody.pricing.max_leverage_bps,
    )


def evaluate(p: PositionView, market: MarketState, collateral: MarketState, now: int,
             with_liquidation_price: bool = False) -> Health:
    inputs = health_inputs(p, market, collateral, now)
    spread = market.custody.pricing.trade_spread_long_bps if p.side is Side.LONG \
        else market.custody.pricing.trade_spread_short_bps
    exit_price = pricing.exit_price(p.side, market.trade_prices(), spread)
    equity = pnl.equity_usd(inputs, exit_price)
    return Health(
        liquidatable=pnl.is_liquidatable(inputs, exit_price),
        equity_usd=equity,
        leverage_bps=pnl.leverage_bps(p.size_usd, equity),
        liquidation_price=pnl.liquidation_price(inputs, spread) if with_liquidation_price else None,
    )
