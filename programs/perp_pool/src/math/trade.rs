//! What every trading instruction moves, as pure functions of integers: open, increase,
//! decrease / close, collateral removal and liquidation (docs/design.md "Instructions").
//! `controller::position` calls these and applies the result to the accounts.
//!
//! Token conventions (collateral custody tokens): collateral is valued at the custody's MIN price
//! (floor); USD is turned into tokens at its MAX price, rounded up for what the trader owes
//! (fees, interest, losses, the lock) and down for what the pool pays (profit, withdrawals).
//!
//! One module per kind of trade, re-exported here: `open` (open, increase), `settle` (decrease,
//! close, close at cap, liquidation, and their waterfalls), `collateral` (collateral removal).
//! This file holds what they share: the custody and position views and the health and leverage
//! checks.

use {
    super::{
        borrow::utilization,
        fees::{close_position_fee_usd, split_fee, FeeSplit},
        oracle::OraclePrice,
        pnl::{is_liquidatable, HealthInputs},
        safe_math::{cast, mul_div, Rounding, SafeMath},
    },
    crate::{
        constants::BPS_POWER,
        errors::PerpPoolError,
        types::{BorrowRateParams, Fees, PricingParams, Side, SkewParams},
    },
    anchor_lang::prelude::*,
};

mod collateral;
mod open;
mod settle;

pub use {collateral::*, open::*, settle::*};

/// The collateral (lending) custody as a trade sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralCustody {
    pub decimals: u8,
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
    pub owned: u64,
    pub locked: u64,
    /// Only `max_utilization` and `max_total_locked_usd` are read here.
    pub pricing: PricingParams,
    /// Only `protocol_share_bps`, `insurance_share_bps` and `staker_share_bps` are read here.
    pub fees: Fees,
    /// Only `optimal_utilization` is read here.
    pub borrow_rate: BorrowRateParams,
}

/// The traded custody's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Market {
    pub pricing: PricingParams,
    /// Only the trading rates are read here.
    pub fees: Fees,
    /// The skew premium and exposure caps, with the market's net and the pool's AUM now
    /// (default: none).
    pub skew: MarketSkew,
}

/// What opening and increasing need to price the skew (`math::skew`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketSkew {
    pub params: SkewParams,
    /// Long OI - short OI before the trade, USD.
    pub net_usd: i128,
    /// The pool's AUM (its cached `aum_usd`), USD.
    pub aum_usd: u128,
}

/// The parts of a position the math needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionState {
    pub side: Side,
    /// Size in the traded token, QUANTITY_DECIMALS.
    pub quantity: u128,
    pub size_usd: u64,
    pub collateral_amount: u64,
    pub locked_amount: u64,
}

impl Market {
    /// The market with the pool's AUM `aum_usd` (its cached `pool.aum_usd`) for the skew math.
    pub fn with_aum(self, aum_usd: u128) -> Market {
        Market {
            skew: MarketSkew {
                aum_usd,
                ..self.skew
            },
            ..self
        }
    }
}

impl CollateralCustody {
    /// Collateral value: tokens at the min price, floor.
    pub fn value_usd(&self, amount: u64) -> Result<u64> {
        cast(
            self.min_price
                .token_to_usd(amount, self.decimals, Rounding::Floor)?,
        )
    }

    /// Tokens the trader owes for `usd` (a loss, fee, interest, reward): min price, ceil — the
    /// most tokens that USD can mean. (The max price gave the fewest: with an asset-backed long's
    /// SOL collateral and spot below the EMA after a drop, a loss was settled in too few tokens,
    /// the LPs paying the spread — review finding F1. For a stable custody min and max meet.)
    pub fn owed_tokens(&self, usd: u64) -> Result<u64> {
        cast(
            self.min_price
                .usd_to_token(u128::from(usd), self.decimals, Rounding::Ceil)?,
        )
    }

    /// Tokens locked for a payoff cap of `usd`: max price, ceil (the cap is paid at the max price,
    /// `paid_tokens`, so these tokens cover it).
    pub fn lock_tokens(&self, usd: u64) -> Result<u64> {
        cast(
            self.max_price
                .usd_to_token(u128::from(usd), self.decimals, Rounding::Ceil)?,
        )
    }

    /// Tokens the pool pays for `usd`: max price, floor.
    pub fn paid_tokens(&self, usd: u64) -> Result<u64> {
        cast(
            self.max_price
                .usd_to_token(u128::from(usd), self.decimals, Rounding::Floor)?,
        )
    }

    /// Checks that `extra` more locked tokens fit and returns the utilisation after. In order:
    /// locked after <= owned (InsufficientLiquidity); utilisation after <= max_utilization
    /// (MaxUtilizationExceeded); locked after at the max price (ceil) <= max_total_locked_usd
    /// (MaxTotalLockedExceeded). A cap of 0 is unlimited.
    pub fn check_lock(&self, extra: u64) -> Result<u64> {
        let locked_after = self.locked.safe_add(extra)?;
        require!(
            locked_after <= self.owned,
            PerpPoolError::InsufficientLiquidity
        );
        let utilization_after = utilization(locked_after, self.owned)?;
        require!(
            self.pricing.max_utilization == 0 || utilization_after <= self.pricing.max_utilization,
            PerpPoolError::MaxUtilizationExceeded
        );
        if self.pricing.max_total_locked_usd > 0 {
            let locked_usd =
                self.max_price
                    .token_to_usd(locked_after, self.decimals, Rounding::Ceil)?;
            require!(
                locked_usd <= u128::from(self.pricing.max_total_locked_usd),
                PerpPoolError::MaxTotalLockedExceeded
            );
        }
        Ok(utilization_after)
    }

    fn split(&self, fee: u64) -> Result<FeeSplit> {
        split_fee(
            fee,
            self.fees.protocol_share_bps,
            self.fees.insurance_share_bps,
            self.fees.staker_share_bps,
        )
    }
}

/// Tokens to lock for `size_usd`: `ceil(size * max_payoff_mult_bps / BPS_POWER)` USD at the
/// collateral's max price, ceil.
pub fn locked_amount_for(
    size_usd: u64,
    max_payoff_mult_bps: u64,
    collateral: &CollateralCustody,
) -> Result<u64> {
    let locked_usd: u64 = cast(mul_div(
        u128::from(size_usd),
        u128::from(max_payoff_mult_bps),
        u128::from(BPS_POWER),
        Rounding::Ceil,
    )?)?;
    collateral.lock_tokens(locked_usd)
}

/// Health of a position now: collateral and profit cap revalued at the collateral's min price,
/// close fee on the whole size, `interest_usd` owed, the market's maintenance leverage.
pub fn health_inputs(
    position: &PositionState,
    interest_usd: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<HealthInputs> {
    Ok(HealthInputs {
        side: position.side,
        quantity: position.quantity,
        size_usd: position.size_usd,
        collateral_usd: collateral.value_usd(position.collateral_amount)?,
        max_profit_usd: collateral.value_usd(position.locked_amount)?,
        close_fee_usd: close_position_fee_usd(position.size_usd, market.fees.close_position_bps)?,
        interest_usd,
        max_leverage_bps: market.pricing.max_leverage_bps,
    })
}

/// `size * BPS >= collateral_usd * min_initial_leverage_bps`, else MinLeverageNotMet: what an open
/// and a collateral addition must leave. Without it a dust position could carry any collateral
/// and register its bankruptcy threshold anywhere on the price grid (docs/design.md "Exposure
/// books", griefing).
pub fn check_min_leverage(size_usd: u64, collateral_usd: u64, market: &Market) -> Result<()> {
    require!(
        u128::from(size_usd).safe_mul(u128::from(BPS_POWER))?
            >= u128::from(collateral_usd)
                .safe_mul(u128::from(market.pricing.min_initial_leverage_bps))?,
        PerpPoolError::MinLeverageNotMet
    );
    Ok(())
}

/// Whether `position` (owing `interest_usd`) is within the market's max INITIAL leverage at
/// `exit_price` with its unrealised profit NOT counted: `equity = collateral - loss - close fee -
/// interest > 0` and `size * BPS <= equity * max_initial_leverage_bps`. What an increase and a
/// collateral removal must leave.
pub fn within_initial_leverage(
    position: &PositionState,
    exit_price: u64,
    interest_usd: u64,
    collateral: &CollateralCustody,
    market: &Market,
) -> Result<bool> {
    let mut health = health_inputs(position, interest_usd, collateral, market)?;
    health.max_profit_usd = 0;
    health.max_leverage_bps = market.pricing.max_initial_leverage_bps;
    Ok(!is_liquidatable(&health, exit_price)?)
}

/// `size * BPS <= collateral_usd * max_bps`, i.e. leverage at most `max_bps`.
fn leverage_within(size_usd: u64, collateral_usd: u64, max_bps: u64) -> Result<bool> {
    Ok(u128::from(size_usd).safe_mul(u128::from(BPS_POWER))?
        <= u128::from(collateral_usd).safe_mul(u128::from(max_bps))?)
}

#[cfg(test)]
mod tests;
