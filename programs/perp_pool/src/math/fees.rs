//! Trading fees in USD (open, close, liquidation, liquidator reward) and the split of a fee
//! amount between protocol, insurance fund, LP stakers and LPs (docs/design.md "Fees"). Fees round
//! up, the protocol's, the insurance fund's and the stakers' cuts round down (rounding dust stays
//! with LPs).

use {
    super::safe_math::{cast, mul_div, Rounding, SafeMath},
    crate::{
        constants::{BPS_POWER, RATE_POWER},
        errors::PerpPoolError,
    },
    anchor_lang::prelude::*,
};

/// `ceil(amount * bps / BPS_POWER)`: any fee on a USD amount (bps may exceed 100 % only for the
/// utilisation-scaled open fee, which is at most twice a validated rate).
pub fn bps_fee(amount: u64, bps: u64) -> Result<u64> {
    cast(mul_div(
        u128::from(amount),
        u128::from(bps),
        u128::from(BPS_POWER),
        Rounding::Ceil,
    )?)
}

/// The open fee rate after the trade's utilisation `utilization_after` (RATE_DECIMALS, clamped
/// to 100 %): `open_bps` up to `optimal_utilization`, then
/// `open_bps + ceil(open_bps * (U - optimal) / (RATE_POWER - optimal))`: twice the base at 100 %.
/// Errors: InvalidCustodyConfig if `optimal_utilization >= RATE_POWER`.
pub fn open_fee_bps(
    open_bps: u64,
    utilization_after: u64,
    optimal_utilization: u64,
) -> Result<u64> {
    require!(
        optimal_utilization < RATE_POWER,
        PerpPoolError::InvalidCustodyConfig
    );
    let utilization = utilization_after.min(RATE_POWER);
    if utilization <= optimal_utilization {
        return Ok(open_bps);
    }
    let extra = mul_div(
        u128::from(open_bps),
        u128::from(utilization.safe_sub(optimal_utilization)?),
        u128::from(RATE_POWER.safe_sub(optimal_utilization)?),
        Rounding::Ceil,
    )?;
    open_bps.safe_add(cast(extra)?)
}

/// USD open fee on `size_usd`: `ceil(size * open_fee_bps(..) / BPS_POWER)`.
pub fn open_position_fee_usd(
    size_usd: u64,
    open_bps: u64,
    utilization_after: u64,
    optimal_utilization: u64,
) -> Result<u64> {
    bps_fee(
        size_usd,
        open_fee_bps(open_bps, utilization_after, optimal_utilization)?,
    )
}

/// USD close fee on the size closed: `ceil(size_delta * close_bps / BPS_POWER)`.
pub fn close_position_fee_usd(size_delta_usd: u64, close_bps: u64) -> Result<u64> {
    bps_fee(size_delta_usd, close_bps)
}

/// USD liquidation fee: `ceil(size * liquidation_bps / BPS_POWER)`.
pub fn liquidation_fee_usd(size_usd: u64, liquidation_bps: u64) -> Result<u64> {
    bps_fee(size_usd, liquidation_bps)
}

/// USD liquidator reward: `ceil(size * liquidator_reward_bps / BPS_POWER)`.
pub fn liquidator_reward_usd(size_usd: u64, liquidator_reward_bps: u64) -> Result<u64> {
    bps_fee(size_usd, liquidator_reward_bps)
}

/// Where a fee amount (tokens) goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeSplit {
    /// `floor(fee * protocol_share_bps / BPS_POWER)` -> `assets.protocol_fees`.
    pub protocol: u64,
    /// `floor(fee * insurance_share_bps / BPS_POWER)` -> `assets.insurance_fund`.
    pub insurance: u64,
    /// `floor(fee * staker_share_bps / BPS_POWER)` -> `assets.stake_rewards` (LP stakers).
    pub stakers: u64,
    /// The rest -> `assets.owned` (LPs).
    pub lp: u64,
}

/// Splits `fee` tokens. Errors: InvalidCustodyConfig if the three shares exceed 100 %.
pub fn split_fee(
    fee: u64,
    protocol_share_bps: u64,
    insurance_share_bps: u64,
    staker_share_bps: u64,
) -> Result<FeeSplit> {
    require!(
        protocol_share_bps
            .checked_add(insurance_share_bps)
            .and_then(|total| total.checked_add(staker_share_bps))
            .is_some_and(|total| total <= BPS_POWER),
        PerpPoolError::InvalidCustodyConfig
    );
    let share = |bps: u64| -> Result<u64> {
        cast(mul_div(
            u128::from(fee),
            u128::from(bps),
            u128::from(BPS_POWER),
            Rounding::Floor,
        )?)
    };
    let protocol = share(protocol_share_bps)?;
    let insurance = share(insurance_share_bps)?;
    let stakers = share(staker_share_bps)?;
    let lp = fee
        .safe_sub(protocol)?
        .safe_sub(insurance)?
        .safe_sub(stakers)?;
    Ok(FeeSplit {
        protocol,
        insurance,
        stakers,
        lp,
    })
}

#[cfg(test)]
mod tests;
