//! Utilisation, the two-slope borrow rate, the cumulative interest index and interest owed
//! (docs/design.md "Borrow rate"). Pure: the caller passes `now`.
//!
//! Rates are per hour in RATE_DECIMALS (1_000_000_000 = 100 % per hour). The index
//! `cumulative_interest` is the exact sum of `rate * seconds` since the custody was created
//! (units RATE_DECIMALS x seconds, no rounding), so accruing every second or once a day yields
//! the same index; a position owes `ceil(size_usd * (cumulative - snapshot) / (RATE_POWER *
//! HOUR_SECONDS))`, the only division, taken when the interest is settled.

use {
    super::safe_math::{cast, mul_div, Rounding, SafeMath},
    crate::{
        constants::{HOUR_SECONDS, RATE_POWER},
        errors::PerpPoolError,
    },
    anchor_lang::prelude::*,
};

/// `floor(locked * RATE_POWER / owned)` in RATE_DECIMALS; 0 when nothing is owned.
pub fn utilization(locked: u64, owned: u64) -> Result<u64> {
    if owned == 0 {
        return Ok(0);
    }
    cast(mul_div(
        u128::from(locked),
        u128::from(RATE_POWER),
        u128::from(owned),
        Rounding::Floor,
    )?)
}

/// The two-slope curve, RATE_DECIMALS per hour, floor:
/// `U < optimal`: `base + U * slope1 / optimal`;
/// else `base + slope1 + (U - optimal) * slope2 / (RATE_POWER - optimal)`.
/// Errors: InvalidCustodyConfig if `optimal_utilization >= RATE_POWER`.
pub fn borrow_rate(
    utilization: u64,
    base_rate: u64,
    slope1: u64,
    slope2: u64,
    optimal_utilization: u64,
) -> Result<u64> {
    require!(
        optimal_utilization < RATE_POWER,
        PerpPoolError::InvalidCustodyConfig
    );
    if utilization < optimal_utilization {
        // optimal > utilization >= 0 here, so the division is by a positive number.
        let variable = mul_div(
            u128::from(utilization),
            u128::from(slope1),
            u128::from(optimal_utilization),
            Rounding::Floor,
        )?;
        base_rate.safe_add(cast(variable)?)
    } else {
        let excess = utilization.safe_sub(optimal_utilization)?;
        let variable = mul_div(
            u128::from(excess),
            u128::from(slope2),
            u128::from(RATE_POWER.safe_sub(optimal_utilization)?),
            Rounding::Floor,
        )?;
        base_rate.safe_add(slope1)?.safe_add(cast(variable)?)
    }
}

/// The index after accruing `current_rate` from `last_update` to `now`:
/// `cumulative + current_rate * (now - last_update)`, exact (no remainder to drop, so the result
/// does not depend on how the interval is split). A `now` at or before `last_update` accrues
/// nothing (the clock never runs the index backwards).
pub fn accrued_cumulative_interest(
    cumulative: u128,
    current_rate: u64,
    last_update: i64,
    now: i64,
) -> Result<u128> {
    if now <= last_update {
        return Ok(cumulative);
    }
    let elapsed: u128 = cast(now.safe_sub(last_update)?)?;
    cumulative.safe_add(u128::from(current_rate).safe_mul(elapsed)?)
}

/// `RATE_POWER * HOUR_SECONDS`: index units per 100 % of interest.
pub fn interest_index_power() -> Result<u128> {
    u128::from(RATE_POWER).safe_mul(cast(HOUR_SECONDS)?)
}

/// USD interest owed by a position of `size_usd` whose snapshot is `snapshot`:
/// `ceil((cumulative - snapshot) * size_usd / (RATE_POWER * HOUR_SECONDS))` (rounded up: owed
/// to the pool). Errors: MathOverflow if `snapshot > cumulative` (an index never decreases).
pub fn position_interest_usd(cumulative: u128, snapshot: u128, size_usd: u64) -> Result<u64> {
    let delta = cumulative.safe_sub(snapshot)?;
    cast(mul_div(
        delta,
        u128::from(size_usd),
        interest_index_power()?,
        Rounding::Ceil,
    )?)
}

/// USD interest owed by all positions borrowing from one custody, from its aggregates:
/// `(cumulative * size_usd_total - interest_weighted) / (RATE_POWER * HOUR_SECONDS)`, rounded as
/// asked
/// (`interest_weighted` = Σ size_usd × snapshot).
pub fn aggregate_interest_usd(
    cumulative: u128,
    size_usd_total: u64,
    interest_weighted: u128,
    rounding: Rounding,
) -> Result<u128> {
    let owed = cumulative
        .safe_mul(u128::from(size_usd_total))?
        .safe_sub(interest_weighted)?;
    mul_div(owed, 1, interest_index_power()?, rounding)
}

#[cfg(test)]
mod tests;
