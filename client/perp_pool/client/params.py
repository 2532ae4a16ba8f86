"""What the client's instructions take besides addresses: custody configuration, permissions, the
default slippage of deposits and withdrawals, and keypair files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool.client.idl_types import OracleKind
from perp_pool.constants import BPS_POWER, MAX_WEIGHT_FEE_BPS
from perp_pool.math.fixed import Rounding, mul_div

__all__ = ["BorrowRateConfig", "DEFAULT_LIQUIDITY_SLIPPAGE_BPS", "FeeConfig", "OracleConfig", "Permissions",
           "PricingConfig", "WeightConfig", "load_keypair", "min_out_after_slippage", "weight_problems"]


@dataclass(frozen=True)
class OracleConfig:
    """How a custody prices its token. For `Custom` the oracle account is the custody's PDA."""

    oracle_type: OracleKind | str = "Custom"  # OracleKind or its value, "Custom" | "Pyth"
    oracle_authority: Pubkey | None = None
    oracle_account: Pubkey | None = None
    max_price_error_bps: int = 100
    max_price_age_sec: int = 30
    feed_id: bytes = bytes(32)  # Pyth price feed id (Pyth only)


@dataclass(frozen=True)
class FeeConfig:
    """Fees in basis points (10_000 = 100 %). Of every fee collected, `protocol_share_bps` goes to
    the protocol, `insurance_share_bps` to the insurance fund; of every trading fee,
    `staker_share_bps` goes to LP stakers (the custody's `stake_rewards`, paid by the pool's stake
    pool when this is its reward custody); the rest stays with LPs."""

    add_liquidity_bps: int = 10
    remove_liquidity_bps: int = 10
    protocol_share_bps: int = 2_000
    open_position_bps: int = 10
    close_position_bps: int = 10
    liquidation_bps: int = 50
    liquidator_reward_bps: int = 10
    insurance_share_bps: int = 1_000
    staker_share_bps: int = 0


@dataclass(frozen=True)
class PricingConfig:
    """How a custody trades: spreads in bps, leverage in bps (50x = 500_000), payoff cap in bps of
    size, utilisation cap in RATE_DECIMALS, size caps in USD (USD_DECIMALS; 0 = no cap)."""

    use_ema: bool = True
    trade_spread_long_bps: int = 0
    trade_spread_short_bps: int = 0
    min_initial_leverage_bps: int = 10_000
    max_initial_leverage_bps: int = 500_000
    max_leverage_bps: int = 1_000_000
    max_payoff_mult_bps: int = 10_000
    max_utilization: int = 900_000_000
    max_position_size_usd: int = 0
    max_total_locked_usd: int = 0


@dataclass(frozen=True)
class BorrowRateConfig:
    """Two-slope hourly borrow rate on utilisation, RATE_DECIMALS (the spec's reference values)."""

    base_rate: int = 0
    slope1: int = 80_000
    slope2: int = 120_000
    optimal_utilization: int = 800_000_000



@dataclass(frozen=True)
class WeightConfig:
    """A custody's weight rule in a multi-asset pool (the program's `WeightParams`, BPS): its
    target share of the pool's owned value and the bounds deposits and swaps may not push it past
    (an LP redemption is never refused by the min: it pays the tax); `tax_bps`, the extra fee of a
    move away from the target at a distance of the whole target (a move toward it gets up to this
    back); `swap_bps`, the base fee of each leg of a swap.
    All zero (the default): no weight rule (flat fees, no bounds, not swappable)."""

    target_bps: int = 0
    min_bps: int = 0
    max_bps: int = 0
    tax_bps: int = 0
    swap_bps: int = 0

    @property
    def has_rule(self) -> bool:
        return self.max_bps > 0


def weight_problems(w: WeightConfig) -> list[str]:
    """What the program's `validate_weights` refuses (InvalidWeightConfig), in words; [] if valid."""
    if w == WeightConfig():
        return []
    if w.max_bps == 0:
        return ["max_bps must be above 0 (or every field 0: no weight rule)"]
    problems = []
    if not w.min_bps <= w.target_bps <= w.max_bps <= BPS_POWER:
        problems.append(f"must have min_bps <= target_bps <= max_bps <= {BPS_POWER}, got {w.min_bps} <= "
                        f"{w.target_bps} <= {w.max_bps}")
    for name in ("tax_bps", "swap_bps"):
        if getattr(w, name) > MAX_WEIGHT_FEE_BPS:
            problems.append(f"{name} must be at most {MAX_WEIGHT_FEE_BPS}, got {getattr(w, name)}")
    return problems


# Tolerance of the default minimum out of a deposit or withdrawal below its simulated quote.
DEFAULT_LIQUIDITY_SLIPPAGE_BPS = 50


def min_out_after_slippage(quoted: int, slippage_bps: int) -> int:
    """The least amount accepted when `quoted` is expected: `floor(quoted * (BPS - slippage) / BPS)`."""
    if not 0 <= slippage_bps < BPS_POWER:
        raise ValueError(f"slippage_bps must be in [0, {BPS_POWER}), got {slippage_bps}")
    return mul_div(quoted, BPS_POWER - slippage_bps, BPS_POWER, Rounding.FLOOR)


@dataclass(frozen=True)
class Permissions:
    allow_add_liquidity: bool = True
    allow_remove_liquidity: bool = True
    allow_open_position: bool = True
    allow_close_position: bool = True
    allow_liquidation: bool = True
    allow_lp_staking: bool = True  # lock_lp only: unlocking an ended lock and claiming are never paused


def load_keypair(path: str | Path) -> Keypair:
    """A Solana CLI keypair file (JSON array of 64 bytes)."""
    return Keypair.from_bytes(bytes(json.loads(Path(path).expanduser().read_text())))
