//! Config-time checks of the custody parameters (`add_custody`, `set_custody_config`), one
//! `validate!` per rule so a refused config logs the rule it broke. Every failure is
//! InvalidCustodyConfig except where stated.

use {
    crate::{
        constants::{BPS_POWER, RATE_POWER},
        errors::PerpPoolError,
        math::safe_math::SafeMath,
        state::oracle::{OracleParams, OracleType},
        types::{BorrowRateParams, Fees, PricingParams},
        validate,
    },
    anchor_lang::prelude::*,
};

/// Every check of a custody's parameters, in the order `add_custody` and `set_custody_config`
/// have always run them: oracle, fees, pricing, liquidation margin, borrow rate.
pub fn validate_custody_config(
    oracle: &OracleParams,
    fees: &Fees,
    pricing: &PricingParams,
    borrow_rate: &BorrowRateParams,
) -> Result<()> {
    oracle.validate()?;
    fees.validate()?;
    pricing.validate()?;
    pricing.validate_liquidation_margin(fees)?;
    borrow_rate.validate()
}

impl Fees {
    /// Every rate is a fraction of an amount, so at most 100 %; the protocol, insurance and
    /// staker shares together at most 100 %; the liquidation fee at least the close fee, so an owner
    /// liquidating its own position (the reward is paid after the liquidation fee) never gets
    /// more than a close would pay it.
    pub fn validate(&self) -> Result<()> {
        let invalid = PerpPoolError::InvalidCustodyConfig;
        validate!(self.add_liquidity_bps <= BPS_POWER, invalid)?;
        validate!(self.remove_liquidity_bps <= BPS_POWER, invalid)?;
        validate!(self.protocol_share_bps <= BPS_POWER, invalid)?;
        validate!(self.open_position_bps <= BPS_POWER, invalid)?;
        validate!(self.close_position_bps <= BPS_POWER, invalid)?;
        validate!(self.liquidation_bps <= BPS_POWER, invalid)?;
        validate!(self.liquidator_reward_bps <= BPS_POWER, invalid)?;
        validate!(self.insurance_share_bps <= BPS_POWER, invalid)?;
        validate!(self.staker_share_bps <= BPS_POWER, invalid)?;
        validate!(self.liquidation_bps >= self.close_position_bps, invalid)?;
        validate!(
            self.protocol_share_bps
                .saturating_add(self.insurance_share_bps)
                .saturating_add(self.staker_share_bps)
                <= BPS_POWER,
            invalid
        )
    }
}

impl PricingParams {
    /// Spreads below 100 %; min <= max initial <= maintenance leverage; a tradeable market
    /// (max_initial_leverage_bps > 0) has a positive payoff multiplier; utilisation cap <= 100 %.
    pub fn validate(&self) -> Result<()> {
        let invalid = PerpPoolError::InvalidCustodyConfig;
        validate!(self.trade_spread_long_bps < BPS_POWER, invalid)?;
        validate!(self.trade_spread_short_bps < BPS_POWER, invalid)?;
        validate!(
            self.min_initial_leverage_bps <= self.max_initial_leverage_bps,
            invalid
        )?;
        validate!(
            self.max_initial_leverage_bps <= self.max_leverage_bps,
            invalid
        )?;
        validate!(
            self.max_initial_leverage_bps == 0 || self.max_payoff_mult_bps > 0,
            invalid
        )?;
        validate!(self.max_utilization <= RATE_POWER, invalid)
    }

    /// The maintenance margin (`size / max_leverage`, i.e. `BPS^2 / max_leverage_bps` BPS of
    /// size) must cover the liquidator's reward and the liquidation fee, so keepers are paid out
    /// of the margin and not out of the LPs' loss recovery (docs/design.md "LP capital safety",
    /// F4): `liquidator_reward_bps + liquidation_bps <= BPS^2 / max_leverage_bps`. Not checked for
    /// an untradeable market (max_leverage_bps == 0).
    pub fn validate_liquidation_margin(&self, fees: &Fees) -> Result<()> {
        if self.max_leverage_bps == 0 {
            return Ok(());
        }
        let margin_bps = BPS_POWER
            .safe_mul(BPS_POWER)?
            .safe_div(self.max_leverage_bps)?;
        validate!(
            fees.liquidator_reward_bps.safe_add(fees.liquidation_bps)? <= margin_bps,
            PerpPoolError::InvalidCustodyConfig
        )
    }
}

impl BorrowRateParams {
    /// optimal < 100 %; each rate at most 100 % per hour.
    pub fn validate(&self) -> Result<()> {
        let invalid = PerpPoolError::InvalidCustodyConfig;
        validate!(self.optimal_utilization < RATE_POWER, invalid)?;
        validate!(self.base_rate <= RATE_POWER, invalid)?;
        validate!(self.slope1 <= RATE_POWER, invalid)?;
        validate!(self.slope2 <= RATE_POWER, invalid)
    }
}

impl OracleParams {
    /// Config-time checks (the price itself is checked on every read): a configured type
    /// (InvalidOracleType); Custom: an oracle authority; Pyth: a price account
    /// (InvalidOracleAccount) and a feed id; a confidence limit of at most 100 % and a positive
    /// maximum age.
    pub fn validate(&self) -> Result<()> {
        let invalid = PerpPoolError::InvalidCustodyConfig;
        match self.oracle_type {
            OracleType::None => return err!(PerpPoolError::InvalidOracleType),
            OracleType::Custom => validate!(self.oracle_authority != Pubkey::default(), invalid)?,
            OracleType::Pyth => {
                validate!(
                    self.oracle_account != Pubkey::default(),
                    PerpPoolError::InvalidOracleAccount
                )?;
                validate!(self.feed_id != [0u8; 32], invalid)?;
            }
        }
        validate!(self.max_price_error_bps <= BPS_POWER, invalid)?;
        validate!(self.max_price_age_sec > 0, invalid)
    }
}

#[cfg(test)]
mod tests;
