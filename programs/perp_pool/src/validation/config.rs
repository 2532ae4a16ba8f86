//! Config-time checks of the custody parameters (`add_custody`, `set_custody_config`) and of a
//! stake pool's ladder and share (`init_stake_pool`, `set_stake_pool_config`), one `validate!`
//! per rule so a refused config logs the rule it broke. Every custody failure is
//! InvalidCustodyConfig except where stated; every stake pool failure is InvalidStakeConfig.

use {
    crate::{
        constants::{
            BPS_POWER, MAX_LOCK_DAYS, MAX_LOCK_MULTIPLIER_BPS, MAX_LOCK_TIERS,
            MAX_SENIOR_JUNIOR_RATIO_BPS, MAX_SENIOR_RATE_BPS, MAX_WEIGHT_FEE_BPS, MIN_LOCK_DAYS,
            RATE_POWER,
        },
        errors::PerpPoolError,
        math::{
            safe_math::{cast, SafeMath},
            skew::skew_params_valid,
        },
        state::oracle::{OracleParams, OracleType},
        types::{
            BorrowRateParams, Fees, LockTier, PricingParams, SkewParams, TrancheConfigParams,
            WeightParams,
        },
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

/// A stake pool's ladder and junior share: 1..=MAX_LOCK_TIERS tiers; durations strictly
/// increasing, at least MIN_LOCK_DAYS (every tier locks: no one-transaction lock, fee, unlock)
/// and at most MAX_LOCK_DAYS; multipliers non-decreasing, at least 1x and at most
/// MAX_LOCK_MULTIPLIER_BPS; the junior share at most 100 %. Errors: InvalidStakeConfig.
pub fn validate_stake_config(tiers: &[LockTier], junior_share_bps: u64) -> Result<()> {
    let invalid = PerpPoolError::InvalidStakeConfig;
    validate!(junior_share_bps <= BPS_POWER, invalid)?;
    validate!(!tiers.is_empty(), invalid)?;
    validate!(tiers.len() <= usize::from(MAX_LOCK_TIERS), invalid)?;
    let one_x: u32 = cast(BPS_POWER)?;
    let mut previous: Option<LockTier> = None;
    for &tier in tiers {
        let (days, multiplier) = (tier.duration_days, tier.multiplier_bps);
        validate!(days >= MIN_LOCK_DAYS, invalid)?;
        validate!(days <= MAX_LOCK_DAYS, invalid)?;
        validate!(multiplier >= one_x, invalid)?;
        validate!(multiplier <= MAX_LOCK_MULTIPLIER_BPS, invalid)?;
        if let Some(before) = previous {
            let (before_days, before_multiplier) = (before.duration_days, before.multiplier_bps);
            validate!(days > before_days, invalid)?;
            validate!(multiplier >= before_multiplier, invalid)?;
        }
        previous = Some(tier);
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// A senior tranche's terms (`add_senior_tranche`, `set_tranche_config`): a rate of at most
/// MAX_SENIOR_RATE_BPS a year, a junior-withdrawal coverage limit in
/// 1..=MAX_SENIOR_JUNIOR_RATIO_BPS and a senior-deposit limit in 1..=that. InvalidTrancheConfig
/// otherwise.
pub fn validate_tranche_config(params: &TrancheConfigParams) -> Result<()> {
    let invalid = PerpPoolError::InvalidTrancheConfig;
    validate!(params.rate_bps <= MAX_SENIOR_RATE_BPS, invalid)?;
    validate!(params.max_senior_junior_ratio_bps > 0, invalid)?;
    validate!(
        params.max_senior_junior_ratio_bps <= MAX_SENIOR_JUNIOR_RATIO_BPS,
        invalid
    )?;
    validate!(params.senior_deposit_ratio_bps > 0, invalid)?;
    validate!(
        params.senior_deposit_ratio_bps <= params.max_senior_junior_ratio_bps,
        invalid
    )
}

/// A custody's weights (`set_custody_weights`): all zero (no weight rule), or
/// `min <= target <= max <= 100 %` with `max > 0`; the tax and the base swap fee at most
/// MAX_WEIGHT_FEE_BPS. Every failure is InvalidWeightConfig.
pub fn validate_weights(params: &WeightParams) -> Result<()> {
    if !params.is_set() {
        validate!(
            *params == WeightParams::default(),
            PerpPoolError::InvalidWeightConfig
        )?;
        return Ok(());
    }
    validate!(
        params.min_bps <= params.target_bps,
        PerpPoolError::InvalidWeightConfig
    )?;
    validate!(
        params.target_bps <= params.max_bps,
        PerpPoolError::InvalidWeightConfig
    )?;
    validate!(
        params.max_bps <= BPS_POWER,
        PerpPoolError::InvalidWeightConfig
    )?;
    validate!(
        params.tax_bps <= MAX_WEIGHT_FEE_BPS,
        PerpPoolError::InvalidWeightConfig
    )?;
    validate!(
        params.swap_bps <= MAX_WEIGHT_FEE_BPS,
        PerpPoolError::InvalidWeightConfig
    )
}

/// A market's skew parameters (`set_skew_config`): `math::skew::skew_params_valid`.
/// Errors: InvalidSkewConfig.
pub fn validate_skew_config(params: &SkewParams) -> Result<()> {
    validate!(skew_params_valid(params), PerpPoolError::InvalidSkewConfig)
}
