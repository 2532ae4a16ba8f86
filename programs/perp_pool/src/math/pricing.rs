//! Trade prices: the oracle's spot/EMA turned into PRICE_DECIMALS and the spread-adjusted entry
//! and exit prices of each side (docs/design.md "Prices"). Every rounding goes against the
//! trader: entries are never better, exits never better, than the exact value.

use {
    super::{
        oracle::OraclePrice,
        safe_math::{cast, mul_div, Rounding, SafeMath},
    },
    crate::{constants::BPS_POWER, errors::PerpPoolError, types::Side},
    anchor_lang::prelude::*,
};

/// The two reference prices of a market, PRICE_DECIMALS (10^-9 USD per whole token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradePrices {
    /// `use_ema ? min(spot, ema) : spot`, scaled with floor.
    pub lo: u64,
    /// `use_ema ? max(spot, ema) : spot`, scaled with ceil.
    pub hi: u64,
}

/// `(lo, hi)` of a market from its oracle reading (spot and EMA share one exponent).
/// Errors: InvalidOraclePrice if the prices differ in exponent or `lo` rounds to 0 (a price below
/// 10^-PRICE_DECIMALS USD cannot be traded); MathOverflow if a price does not fit u64 once scaled.
pub fn trade_prices(spot: OraclePrice, ema: OraclePrice, use_ema: bool) -> Result<TradePrices> {
    require!(
        spot.exponent == ema.exponent,
        PerpPoolError::InvalidOraclePrice
    );
    let (lo, hi) = if use_ema {
        (spot.price.min(ema.price), spot.price.max(ema.price))
    } else {
        (spot.price, spot.price)
    };
    let lo = OraclePrice {
        price: lo,
        exponent: spot.exponent,
    }
    .scale_to_price_decimals(Rounding::Floor)?;
    let hi = OraclePrice {
        price: hi,
        exponent: spot.exponent,
    }
    .scale_to_price_decimals(Rounding::Ceil)?;
    require!(lo > 0, PerpPoolError::InvalidOraclePrice);
    Ok(TradePrices { lo, hi })
}

fn spread_up(price: u64, spread_bps: u64) -> Result<u64> {
    // Ceil: the trader pays at least the exact spread.
    cast(mul_div(
        u128::from(price),
        u128::from(BPS_POWER.safe_add(spread_bps)?),
        u128::from(BPS_POWER),
        Rounding::Ceil,
    )?)
}

fn spread_down(price: u64, spread_bps: u64) -> Result<u64> {
    // Floor: the trader receives at most the exact price less the spread.
    cast(mul_div(
        u128::from(price),
        u128::from(BPS_POWER.safe_sub(spread_bps)?),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )?)
}

/// Entry price, PRICE_DECIMALS: long `ceil(hi * (BPS + spread) / BPS)`,
/// short `floor(lo * (BPS - spread) / BPS)`. `spread_bps` is the side's spread.
/// Errors: InvalidCustodyConfig (spread >= 100 %), InvalidOraclePrice (entry rounds to 0).
pub fn entry_price(side: Side, prices: TradePrices, spread_bps: u64) -> Result<u64> {
    require!(spread_bps < BPS_POWER, PerpPoolError::InvalidCustodyConfig);
    let price = match side {
        Side::Long => spread_up(prices.hi, spread_bps)?,
        Side::Short => spread_down(prices.lo, spread_bps)?,
    };
    require!(price > 0, PerpPoolError::InvalidOraclePrice);
    Ok(price)
}

/// Exit price, PRICE_DECIMALS: long `floor(lo * (BPS - spread) / BPS)`,
/// short `ceil(hi * (BPS + spread) / BPS)`. May be 0 for a long at a dust price (total loss).
/// Errors: InvalidCustodyConfig (spread >= 100 %), MathOverflow.
pub fn exit_price(side: Side, prices: TradePrices, spread_bps: u64) -> Result<u64> {
    require!(spread_bps < BPS_POWER, PerpPoolError::InvalidCustodyConfig);
    match side {
        Side::Long => spread_down(prices.lo, spread_bps),
        Side::Short => spread_up(prices.hi, spread_bps),
    }
}

/// The exit price of a side at a single oracle price (`lo = hi = oracle_price`): what the
/// liquidation-price search walks over.
pub fn exit_price_at(side: Side, oracle_price: u64, spread_bps: u64) -> Result<u64> {
    exit_price(
        side,
        TradePrices {
            lo: oracle_price,
            hi: oracle_price,
        },
        spread_bps,
    )
}

/// The trader's entry price limit: a long enters at most at `price_limit`, a short at least at
/// it. Errors: PriceSlippage.
pub fn check_entry_slippage(side: Side, price: u64, price_limit: u64) -> Result<()> {
    let ok = match side {
        Side::Long => price <= price_limit,
        Side::Short => price >= price_limit,
    };
    require!(ok, PerpPoolError::PriceSlippage);
    Ok(())
}

/// The trader's exit price limit: a long exits at least at `price_limit`, a short at most at
/// it. Errors: PriceSlippage.
pub fn check_exit_slippage(side: Side, price: u64, price_limit: u64) -> Result<()> {
    let ok = match side {
        Side::Long => price >= price_limit,
        Side::Short => price <= price_limit,
    };
    require!(ok, PerpPoolError::PriceSlippage);
    Ok(())
}

#[cfg(test)]
mod tests;
