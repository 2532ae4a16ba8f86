"""Asset-backed positions, mirroring math/backing.rs (docs/design.md "Asset-backed positions").

A position whose collateral custody IS its traded custody ("aliased", only longs): its collateral
and locked payoff are tokens of the traded asset, so the pool's claim against it is clamped to
`[-c_q·P, L_q·P]` (token amounts in quantity units, valued at the price P), and its liquidation
price revalues the collateral at each trial price.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from perp_pool import errors
from perp_pool.constants import PRICE_DECIMALS, QUANTITY_DECIMALS
from perp_pool.math.fixed import U64_MAX, Rounding, pow10, u64, u128
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pnl import HealthInputs, is_liquidatable, quantity_value_usd
from perp_pool.math.pricing import Side


def collateral_custody_allowed(side: Side, aliased: bool, collateral_is_stable: bool) -> bool:
    """A stable collateral custody other than the traded one, or the traded custody itself for a long."""
    return side is Side.LONG if aliased else collateral_is_stable


def tokens_to_quantity(amount: int, decimals: int) -> int:
    """`amount · 10^(QUANTITY_DECIMALS - decimals)`, exact; InvalidCollateralCustody above QUANTITY_DECIMALS."""
    if decimals > QUANTITY_DECIMALS:
        raise errors.InvalidCollateralCustody()
    return u128(u64(amount) * pow10(QUANTITY_DECIMALS - decimals))


@dataclass(frozen=True)
class Registration:
    """What an aliased long registers: (quantity, usd) book entries and its side's token aggregates."""

    cap_quantity: int
    cap_usd: int
    bankruptcy_quantity: int
    bankruptcy_usd: int
    collateral_quantity: int
    max_profit_quantity: int


def aliased_registration(side: Side, quantity: int, size_usd: int, collateral_amount: int, locked_amount: int,
                         decimals: int, interest_usd: int) -> Registration:
    """Cap `(q - L_q, s)` (Above) if q > L_q else nothing; bankruptcy `(q + c_q, s + I)` (Below)."""
    if side is not Side.LONG:
        raise errors.InvalidCollateralCustody()
    cq = tokens_to_quantity(collateral_amount, decimals)
    lq = tokens_to_quantity(locked_amount, decimals)
    cap_q, cap_usd = (quantity - lq, size_usd) if quantity > lq else (0, 0)
    return Registration(cap_q, cap_usd, u128(quantity + cq), u128(size_usd + interest_usd), cq, lq)


def side_clamp_usd(collateral_usd: int, collateral_quantity: int, max_profit_usd: int, max_profit_quantity: int,
                   price: int, trader_rounding: Rounding) -> tuple[int, int]:
    """`(C_usd + C_q·P, K_usd + K_q·P)`: the profit bound rounded with `trader_rounding`, the collateral
    bound against it."""
    opposite = Rounding.FLOOR if trader_rounding is Rounding.CEIL else Rounding.CEIL
    return (u128(collateral_usd + quantity_value_usd(collateral_quantity, price, opposite)),
            u128(max_profit_usd + quantity_value_usd(max_profit_quantity, price, trader_rounding)))


@dataclass(frozen=True)
class TokenBacking:
    """An aliased position's tokens, revalued at each trial price of the liquidation-price search."""

    collateral_amount: int
    locked_amount: int
    decimals: int

    def revalue(self, inputs: HealthInputs, price: int) -> HealthInputs:
        oracle = OraclePrice(price, -PRICE_DECIMALS)

        def value(amount: int) -> int:
            return min(oracle.token_to_usd(amount, self.decimals, Rounding.FLOOR), U64_MAX)
        return replace(inputs, collateral_usd=value(self.collateral_amount), max_profit_usd=value(self.locked_amount))

    def is_liquidatable_at(self, inputs: HealthInputs, price: int, exit_price: int) -> bool:
        return is_liquidatable(self.revalue(inputs, price), exit_price)
