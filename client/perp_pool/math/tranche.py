"""LP tranches: how a pool's LP-owned value splits between its senior and junior tranche — an
integer-exact port of programs/perp_pool/src/math/tranche.rs (docs/design.md "LP tranches").

The senior claim is `senior_supply * I(now)` with `I` the senior index, growing linearly at the
senior target rate from its last rate change; senior NAV = min(claim, AUM), junior NAV = the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from perp_pool.constants import BPS_POWER, LP_POWER, MIN_JUNIOR_LP_PRICE_USD, SENIOR_INDEX_POWER, YEAR_SECONDS
from perp_pool.math.fixed import U64_MAX, Rounding, mul_div, u128

I64_MAX = 2**63 - 1

__all__ = ["SeniorTerms", "StressOutcome", "Tranche", "TrancheNavs", "coverage_holds", "junior_issuable",
           "senior_index", "senior_target_usd", "senior_to_junior_bps", "split_navs", "stress", "target_rounding",
           "tranche_navs", "tranche_price"]


class Tranche(Enum):
    """`Tranche` of the IDL. JUNIOR is the pool's LP mint (the only one of a pool without
    tranches); SENIOR the senior LP mint of a tranched pool."""

    JUNIOR = "junior"
    SENIOR = "senior"

    @property
    def index(self) -> int:
        return 0 if self is Tranche.JUNIOR else 1


@dataclass(frozen=True)
class SeniorTerms:
    index: int  # SENIOR_INDEX_DECIMALS at index_time
    index_time: int
    rate_bps: int


def senior_index(terms: SeniorTerms, now: int, rounding: Rounding) -> int:
    # `now.saturating_sub(index_time).max(0)` in i64, then u128 arithmetic (MathOverflow past it).
    elapsed = max(0, min(now - terms.index_time, I64_MAX))
    growth = mul_div(terms.index, terms.rate_bps * elapsed, BPS_POWER * YEAR_SECONDS, rounding)
    return u128(terms.index + growth)


def senior_target_usd(supply: int, index: int, rounding: Rounding) -> int:
    return mul_div(supply, index, SENIOR_INDEX_POWER, rounding)


@dataclass(frozen=True)
class TrancheNavs:
    junior_usd: int
    senior_usd: int

    def of(self, tranche: Tranche) -> int:
        return self.junior_usd if tranche is Tranche.JUNIOR else self.senior_usd


def split_navs(aum_usd: int, senior_target: int) -> TrancheNavs:
    senior = min(senior_target, aum_usd)
    return TrancheNavs(junior_usd=aum_usd - senior, senior_usd=senior)


def target_rounding(priced: Tranche, max_mode: bool) -> Rounding:
    """The target's rounding that values `priced` in the pool's favour (high when issuing LP:
    `max_mode`, low when redeeming)."""
    high_senior = (priced is Tranche.SENIOR) == max_mode
    return Rounding.CEIL if high_senior else Rounding.FLOOR


def tranche_navs(aum_usd: int, terms: SeniorTerms, senior_supply: int, now: int, priced: Tranche,
                 max_mode: bool) -> TrancheNavs:
    rounding = target_rounding(priced, max_mode)
    return split_navs(aum_usd, senior_target_usd(senior_supply, senior_index(terms, now, rounding), rounding))


def tranche_price(navs: TrancheNavs, terms: SeniorTerms, supply: int, now: int, priced: Tranche,
                  max_mode: bool) -> tuple[int, int]:
    """(nav_usd, supply) one LP unit of `priced` is priced against: a senior tranche whose NAV is
    its whole claim (always when empty) at its index, whatever its supply; an impaired one at
    NAV / supply."""
    if priced is Tranche.SENIOR:
        index = senior_index(terms, now, target_rounding(priced, max_mode))
        if u128(navs.senior_usd * SENIOR_INDEX_POWER) >= u128(supply * index):  # checked like the program's
            return index, SENIOR_INDEX_POWER
    return navs.of(priced), supply


def junior_issuable(junior_nav_usd: int, junior_supply: int) -> bool:
    """Whether junior LP is issued: worth at least MIN_JUNIOR_LP_PRICE_USD per whole token, or no
    supply yet."""
    return junior_supply == 0 or u128(junior_nav_usd * LP_POWER) >= u128(MIN_JUNIOR_LP_PRICE_USD * junior_supply)


def coverage_holds(senior_usd: int, junior_usd: int, max_ratio_bps: int) -> bool:
    return u128(senior_usd * BPS_POWER) <= u128(junior_usd * max_ratio_bps)


def senior_to_junior_bps(navs: TrancheNavs) -> int:
    """Senior NAV / junior NAV in BPS, rounded down (u64::MAX: a senior claim over a junior NAV
    of 0; 0 when both are 0)."""
    if navs.junior_usd == 0:
        return 0 if navs.senior_usd == 0 else U64_MAX
    return min(mul_div(navs.senior_usd, BPS_POWER, navs.junior_usd, Rounding.FLOOR), U64_MAX)


@dataclass(frozen=True)
class StressOutcome:
    insurance_draw_usd: int
    insurance_after_usd: int
    junior_loss_usd: int
    senior_loss_usd: int
    navs_after: TrancheNavs


def stress(aum_usd: int, senior_target: int, insurance_usd: int, trader_profit_usd: int,
           bad_debt_usd: int) -> StressOutcome:
    before = split_navs(aum_usd, senior_target)
    draw = min(bad_debt_usd, insurance_usd)
    loss = u128(trader_profit_usd + bad_debt_usd - draw)
    after = split_navs(max(0, aum_usd - loss), senior_target)
    return StressOutcome(insurance_draw_usd=draw, insurance_after_usd=insurance_usd - draw,
                         junior_loss_usd=before.junior_usd - after.junior_usd,
                         senior_loss_usd=before.senior_usd - after.senior_usd, navs_after=after)
