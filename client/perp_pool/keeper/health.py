"""Off-chain position health, exactly as `liquidate` decides it, from raw account bytes.

`decode_position` reads the fixed Position layout with one `struct.unpack_from` (the anchorpy coder
is ~50x slower and a keeper decodes every position every scan); `evaluate` reads the market's trade
prices and the collateral's (min, max) price and hands them to the pure `perp_pool.math.health`
(the program's `Position::valuation` and health predicate): exit price (oracle, EMA rule, spread),
collateral valued at the collateral custody's min price, the close fee and the interest accrued to
`now` on the collateral custody's borrow index. tests/test_layout.py checks POSITION_LAYOUT against
the IDL's Position type.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.client.idl_types import OracleKind, account_discriminator, oracle_kind, side_of
from perp_pool.math import health as health_math
from perp_pool.math import pnl, pricing
from perp_pool.math.health import Health
from perp_pool.math.oracle import OraclePrice, min_max_price, validate_oracle_price
from perp_pool.math.pricing import Side
from perp_pool.math.trade import PositionState
from perp_pool.pyth import PYTH_RECEIVER_PROGRAM_ID
from perp_pool.pyth import decode as decode_pyth

__all__ = ["Health", "MarketState", "PositionView", "POSITION_DISCRIMINATOR", "POSITION_LAYOUT", "POSITION_POOL_OFFSET",
           "POSITION_SIZE", "checked_oracle_price", "decode_position", "evaluate", "health_inputs", "raw_oracle_price",
           "valuation"]

POSITION_DISCRIMINATOR = account_discriminator("Position")
CUSTOM_ORACLE_DISCRIMINATOR = account_discriminator("CustomOracle")
# The Position account as borsh lays it out: (field, struct format), in IDL order after Anchor's
# discriminator. A u128 is two little-endian u64 halves (`<field>_lo`, `<field>_hi`).
POSITION_LAYOUT: tuple[tuple[str, str], ...] = (
    ("discriminator", "8s"),
    ("owner", "32s"),
    ("pool", "32s"),
    ("custody", "32s"),
    ("collateral_custody", "32s"),
    ("side", "B"),
    ("open_time", "q"),
    ("update_time", "q"),
    ("price", "Q"),
    ("size_usd", "Q"),
    ("quantity_lo", "Q"),
    ("quantity_hi", "Q"),
    ("collateral_amount", "Q"),
    ("collateral_usd", "Q"),
    ("locked_amount", "Q"),
    ("cumulative_interest_snapshot_lo", "Q"),
    ("cumulative_interest_snapshot_hi", "Q"),
    ("realized_pnl_usd", "q"),
    ("realized_fees_usd", "Q"),
    ("bump", "B"),
    ("exposure_cap_usd_lo", "Q"),
    ("exposure_cap_usd_hi", "Q"),
    ("exposure_bankruptcy_usd_lo", "Q"),
    ("exposure_bankruptcy_usd_hi", "Q"),
    ("exposure_max_profit_usd", "Q"),
    ("skew_premium_snapshot_lo", "Q"),
    ("skew_premium_snapshot_hi", "Q"),
)
_POSITION = struct.Struct("<" + "".join(fmt for _, fmt in POSITION_LAYOUT))
_FIELD = {name: i for i, (name, _) in enumerate(POSITION_LAYOUT)}
POSITION_SIZE = _POSITION.size  # 298
POSITION_POOL_OFFSET = struct.calcsize("<" + "".join(fmt for _, fmt in POSITION_LAYOUT[:_FIELD["pool"]]))


@dataclass(frozen=True)
class PositionView:
    address: Pubkey
    owner: Pubkey
    pool: Pubkey
    custody: Pubkey
    collateral_custody: Pubkey
    side: Side
    price: int  # average entry, informational
    size_usd: int
    quantity: int  # QUANTITY_DECIMALS: what PnL and health use
    collateral_amount: int
    locked_amount: int
    cumulative_interest_snapshot: int
    open_time: int = 0  # unix seconds; trigger orders name the position by it
    skew_premium_snapshot: int = 0  # its market side's borrow-premium index at the last settlement

    def state(self) -> PositionState:
        """`Position::state`: what the trade math needs."""
        return PositionState(self.side, self.quantity, self.size_usd, self.collateral_amount, self.locked_amount)

    @classmethod
    def from_account(cls, address: Pubkey, account: Any) -> PositionView:
        """From an anchorpy-decoded Position account."""
        return cls(address, account.owner, account.pool, account.custody, account.collateral_custody,
                   side_of(account.side),
                   account.price, account.size_usd, account.quantity, account.collateral_amount,
                   account.locked_amount, account.cumulative_interest_snapshot, account.open_time,
                   getattr(account, "skew_premium_snapshot", 0))


(_DISC, _OWNER, _POOL, _CUSTODY, _COLLATERAL_CUSTODY, _SIDE, _PRICE, _SIZE, _QTY_LO, _QTY_HI, _COLLATERAL, _LOCKED,
 _SNAP_LO, _SNAP_HI, _OPEN_TIME, _SKEW_LO, _SKEW_HI) = (_FIELD[name] for name in (
    "discriminator", "owner", "pool", "custody", "collateral_custody", "side", "price", "size_usd", "quantity_lo",
    "quantity_hi", "collateral_amount", "locked_amount", "cumulative_interest_snapshot_lo",
    "cumulative_interest_snapshot_hi", "open_time", "skew_premium_snapshot_lo", "skew_premium_snapshot_hi"))


def decode_position(address: Pubkey, data: bytes) -> PositionView:
    f = _POSITION.unpack_from(data)
    if f[_DISC] != POSITION_DISCRIMINATOR:
        raise ValueError(f"{address} is not a Position account")
    return PositionView(address, Pubkey.from_bytes(f[_OWNER]), Pubkey.from_bytes(f[_POOL]),
                        Pubkey.from_bytes(f[_CUSTODY]), Pubkey.from_bytes(f[_COLLATERAL_CUSTODY]),
                        Side.LONG if f[_SIDE] == 0 else Side.SHORT, f[_PRICE], f[_SIZE],
                        f[_QTY_LO] | (f[_QTY_HI] << 64), f[_COLLATERAL], f[_LOCKED], f[_SNAP_LO] | (f[_SNAP_HI] << 64),
                        f[_OPEN_TIME], f[_SKEW_LO] | (f[_SKEW_HI] << 64))


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
    if info is None:
        raise errors.InvalidOracleAccount(f"oracle account {custody.oracle.oracle_account} does not exist")
    try:
        kind = oracle_kind(custody.oracle.oracle_type)
    except TypeError:
        raise errors.InvalidOracleType() from None
    data = bytes(info.data)
    if kind is OracleKind.CUSTOM:
        # Anchor's `Account<CustomOracle>` check: the program's account, with CustomOracle's discriminator.
        if info.owner != program_id or data[:len(CUSTOM_ORACLE_DISCRIMINATOR)] != CUSTOM_ORACLE_DISCRIMINATOR:
            raise errors.InvalidOracleAccount()
        try:
            oracle = coder.decode(data)
        except Exception:
            raise errors.InvalidOracleAccount() from None
        return oracle.price, oracle.expo, oracle.conf, oracle.ema, oracle.publish_time
    if kind is OracleKind.PYTH:
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


def valuation(p: PositionView, market: MarketState, collateral: MarketState, now: int) -> health_math.PositionValuation:
    """`Position::valuation`: the position priced at `now` from the two custodies and their oracle prices."""
    prices = market.trade_prices()
    lo, hi = collateral.min_max()
    return health_math.position_valuation(p.state(), p.cumulative_interest_snapshot, market.custody, prices,
                                          collateral.custody, lo, hi, now, p.skew_premium_snapshot,
                                          aliased=p.custody == p.collateral_custody)


def health_inputs(p: PositionView, market: MarketState, collateral: MarketState, now: int) -> pnl.HealthInputs:
    return valuation(p, market, collateral, now).health


def evaluate(p: PositionView, market: MarketState, collateral: MarketState, now: int,
             with_liquidation_price: bool = False) -> Health:
    return health_math.assess(valuation(p, market, collateral, now), with_liquidation_price)
