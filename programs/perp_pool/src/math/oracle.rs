//! Oracle price checks and token <-> USD conversions: pure functions of integers, with `now`
//! passed in so tests never fake a clock.
//!
//! A price is `price * 10^exponent` USD per whole token, kept with the oracle's own exponent so a
//! conversion rounds exactly once, in the direction the caller names.

use {
    super::safe_math::{cast, mul_div, pow10, Rounding, SafeMath},
    crate::{
        constants::{BPS_POWER, MAX_PRICE_EXPONENT, PRICE_DECIMALS, USD_DECIMALS},
        errors::PerpPoolError,
    },
    anchor_lang::prelude::*,
};

/// A positive price: `price * 10^exponent` USD per whole token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    pub price: u64,
    pub exponent: i32,
}

/// The raw fields an oracle reports, as stored by `CustomOracle` (and, later, read from Pyth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawOraclePrice {
    pub price: u64,
    pub expo: i32,
    /// Confidence interval, same scale as `price`.
    pub conf: u64,
    /// Exponential moving average, same scale as `price`; 0 means "not available, use spot".
    pub ema: u64,
    pub publish_time: i64,
}

/// The custody's tolerance for an oracle reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleLimits {
    pub max_price_age_sec: u32,
    pub max_price_error_bps: u64,
}

/// Validates a reading and returns `(spot, ema)`, both with the reading's exponent (an absent
/// EMA is returned equal to spot). Checks, in this order, each with its own error:
/// price > 0 and |expo| <= MAX_PRICE_EXPONENT (InvalidOraclePrice); publish_time <= now
/// (OracleFutureTimestamp); now - publish_time <= max_price_age_sec (StaleOraclePrice);
/// conf * BPS_POWER <= price * max_price_error_bps (OraclePriceConfidenceTooLow).
pub fn validate_oracle_price(
    raw: &RawOraclePrice,
    limits: &OracleLimits,
    now: i64,
) -> Result<(OraclePrice, OraclePrice)> {
    require!(raw.price > 0, PerpPoolError::InvalidOraclePrice);
    require!(
        raw.expo.unsigned_abs() <= MAX_PRICE_EXPONENT.unsigned_abs(),
        PerpPoolError::InvalidOraclePrice
    );
    require!(
        raw.publish_time <= now,
        PerpPoolError::OracleFutureTimestamp
    );
    let age = now.safe_sub(raw.publish_time)?;
    require!(
        age <= i64::from(limits.max_price_age_sec),
        PerpPoolError::StaleOraclePrice
    );
    // Compared as a cross product in u128 so no division rounds the tolerance.
    let conf_scaled = u128::from(raw.conf).safe_mul(u128::from(BPS_POWER))?;
    let tolerance = u128::from(raw.price).safe_mul(u128::from(limits.max_price_error_bps))?;
    require!(
        conf_scaled <= tolerance,
        PerpPoolError::OraclePriceConfidenceTooLow
    );

    let spot = OraclePrice {
        price: raw.price,
        exponent: raw.expo,
    };
    let ema = if raw.ema == 0 {
        spot
    } else {
        OraclePrice {
            price: raw.ema,
            exponent: raw.expo,
        }
    };
    Ok((spot, ema))
}

/// `(min, max)` of spot and EMA. Min values what the pool receives (deposits, AUM for
/// redemptions), max what it pays out, so each side gets the worse of the two prices.
pub fn min_max_price(spot: OraclePrice, ema: OraclePrice) -> Result<(OraclePrice, OraclePrice)> {
    // Both come from one reading, so they share an exponent; anything else is a caller bug.
    require!(
        spot.exponent == ema.exponent,
        PerpPoolError::InvalidOraclePrice
    );
    if spot.price <= ema.price {
        Ok((spot, ema))
    } else {
        Ok((ema, spot))
    }
}

impl OraclePrice {
    /// USD value (USD_DECIMALS) of `amount` base units of a token with `decimals`:
    /// `amount * price * 10^(exponent + USD_DECIMALS - decimals)`, rounded as asked.
    pub fn token_to_usd(&self, amount: u64, decimals: u8, rounding: Rounding) -> Result<u128> {
        let value = u128::from(amount).safe_mul(u128::from(self.price))?;
        let shift = self
            .exponent
            .safe_add(i32::from(USD_DECIMALS))?
            .safe_sub(i32::from(decimals))?;
        if shift >= 0 {
            value.safe_mul(pow10(shift.unsigned_abs())?)
        } else {
            mul_div(value, 1, pow10(shift.unsigned_abs())?, rounding)
        }
    }

    /// Token base units worth `usd` (USD_DECIMALS):
    /// `usd * 10^(decimals - USD_DECIMALS - exponent) / price`, rounded as asked.
    pub fn usd_to_token(&self, usd: u128, decimals: u8, rounding: Rounding) -> Result<u128> {
        let shift = i32::from(decimals)
            .safe_sub(i32::from(USD_DECIMALS))?
            .safe_sub(self.exponent)?;
        if shift >= 0 {
            mul_div(
                usd,
                pow10(shift.unsigned_abs())?,
                u128::from(self.price),
                rounding,
            )
        } else {
            let denominator = u128::from(self.price).safe_mul(pow10(shift.unsigned_abs())?)?;
            mul_div(usd, 1, denominator, rounding)
        }
    }

    /// The price in PRICE_DECIMALS (10^-9 USD per whole token), for events and views.
    pub fn scale_to_price_decimals(&self, rounding: Rounding) -> Result<u64> {
        let shift = self.exponent.safe_add(i32::from(PRICE_DECIMALS))?;
        let scaled = if shift >= 0 {
            u128::from(self.price).safe_mul(pow10(shift.unsigned_abs())?)?
        } else {
            mul_div(
                u128::from(self.price),
                1,
                pow10(shift.unsigned_abs())?,
                rounding,
            )?
        };
        cast(scaled)
    }
}

#[cfg(test)]
mod tests;
