"""What a run produces per path, the same for the exact and the vectorised engine: how each position
ended (kind, step and the token amounts of its settlement) and the pool's totals after the horizon."""

from __future__ import annotations

from dataclasses import dataclass, fields

LIQUIDATED = 1  # liquidated by the keeper
STOPPED = 2  # closed by its stop-loss
OPEN_AT_END = 3  # still open at the horizon: closed there at the final price to value the pool

KIND_NAMES = {LIQUIDATED: "liquidated", STOPPED: "stopped", OPEN_AT_END: "open_at_end"}


@dataclass(frozen=True)
class PositionOutcome:
    """A position's settlement (tokens of its collateral custody: the stable one, or the traded one
    for an asset-backed long): liquidation (math/trade.rs `compute_liquidation`)
    or full close (`compute_decrease_position`, the stop-loss and the horizon's valuation)."""

    kind: int
    step: int
    amount_out: int  # to the trader
    owned_in: int  # into the LPs' owned tokens
    owned_out: int  # out of them (the profit paid)
    fee_paid: int
    protocol_fee: int
    insurance_fee: int
    staker_fee: int
    reward_paid: int  # to the keeper (liquidation)
    insurance_draw: int
    bad_debt_amount: int
    bad_debt_usd: int


OUTCOME_FIELDS = tuple(f.name for f in fields(PositionOutcome))


@dataclass(frozen=True)
class PathTotals:
    """The pool after one path: LPs' owned collateral tokens (every position settled), the insurance
    fund, the protocol's and stakers' fees, the bad debt, and what traders and keepers received, in
    the stable custody's tokens; `market_*` the same in the traded custody's (asset-backed longs;
    `market_owned` is the LPs' holding of the traded token). `bad_debt_usd` counts both."""

    owned: int
    insurance_fund: int
    protocol_fees: int
    stake_rewards: int
    bad_debt_usd: int
    bad_debt_amount: int
    insurance_draw: int
    rewards_paid: int
    trader_amount_out: int
    liquidations: int
    stops: int
    market_owned: int = 0
    market_insurance_fund: int = 0
    market_protocol_fees: int = 0
    market_stake_rewards: int = 0
    market_insurance_draw: int = 0
    market_bad_debt_amount: int = 0
    market_rewards_paid: int = 0
    market_trader_amount_out: int = 0


TOTAL_FIELDS = tuple(f.name for f in fields(PathTotals))

__all__ = ["KIND_NAMES", "LIQUIDATED", "OPEN_AT_END", "OUTCOME_FIELDS", "PathTotals", "PositionOutcome", "STOPPED",
           "TOTAL_FIELDS"]
