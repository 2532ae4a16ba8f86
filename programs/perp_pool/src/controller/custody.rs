//! The custody buckets moved directly, not through a trade: the insurance fund (topped up by
//! anyone, withdrawn by the admin) and the protocol fees (withdrawn by the admin). The caller
//! moves the tokens.

use {
    crate::{errors::PerpPoolError, math::safe_math::SafeMath, state::custody::Custody, validate},
    anchor_lang::prelude::*,
};

/// Takes `amount` out of the protocol fees; returns what they hold after.
/// Errors: ZeroAmount (amount 0), InsufficientLiquidity (more than they hold).
pub fn withdraw_protocol_fees(custody: &mut Custody, amount: u64) -> Result<u64> {
    withdraw(&mut custody.assets.protocol_fees, amount)
}

/// Takes `amount` out of the insurance fund; returns what it holds after.
/// Errors: ZeroAmount (amount 0), InsufficientLiquidity (more than it holds).
pub fn withdraw_insurance_fund(custody: &mut Custody, amount: u64) -> Result<u64> {
    withdraw(&mut custody.assets.insurance_fund, amount)
}

/// Adds `amount` to the insurance fund; returns the fund after. Errors: ZeroAmount.
pub fn top_up_insurance_fund(custody: &mut Custody, amount: u64) -> Result<u64> {
    validate!(amount > 0, PerpPoolError::ZeroAmount)?;
    let fund = &mut custody.assets.insurance_fund;
    *fund = fund.safe_add(amount)?;
    Ok(*fund)
}

fn withdraw(bucket: &mut u64, amount: u64) -> Result<u64> {
    validate!(amount > 0, PerpPoolError::ZeroAmount)?;
    validate!(amount <= *bucket, PerpPoolError::InsufficientLiquidity)?;
    *bucket = bucket.safe_sub(amount)?;
    Ok(*bucket)
}
