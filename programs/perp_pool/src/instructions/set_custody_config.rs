//! `set_custody_config` (admin): replaces a custody's oracle, fee, pricing and borrow-rate
//! parameters (same validation as `add_custody`; `is_stable` cannot change). Interest is accrued
//! at the old rate first, and the rate is re-derived from the new curve.

use {
    crate::{
        constants::ORACLE_SEED,
        events::CustodyConfigSet,
        instructions::shared::SetCustodyConfig,
        state::oracle::{OracleParams, OracleType},
        types::{BorrowRateParams, Fees, PricingParams},
        validation::config::validate_custody_config,
    },
    anchor_lang::prelude::*,
};

/// The new value of every parameter (all are replaced).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct SetCustodyConfigParams {
    /// For Custom, `oracle_account` is ignored and stays the `[ORACLE_SEED, custody]` PDA.
    pub oracle: OracleParams,
    pub fees: Fees,
    pub pricing: PricingParams,
    pub borrow_rate: BorrowRateParams,
}

pub fn handler(ctx: Context<SetCustodyConfig>, params: &SetCustodyConfigParams) -> Result<()> {
    // params
    validate_custody_config(
        &params.oracle,
        &params.fees,
        &params.pricing,
        &params.borrow_rate,
    )?;
    let custody_key = ctx.accounts.custody.key();
    let mut oracle = params.oracle;
    if oracle.oracle_type == OracleType::Custom {
        oracle.oracle_account =
            Pubkey::find_program_address(&[ORACLE_SEED, custody_key.as_ref()], ctx.program_id).0;
    }
    let now = Clock::get()?.unix_timestamp;

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.accrue_interest(now)?;
    custody.oracle = oracle;
    custody.fees = params.fees;
    custody.pricing = params.pricing;
    custody.borrow_rate = params.borrow_rate;
    custody.update_borrow_rate()?;

    // emit
    emit!(CustodyConfigSet {
        admin: ctx.accounts.admin.key(),
        pool: ctx.accounts.pool.key(),
        custody: custody_key,
        oracle,
        fees: custody.fees,
        pricing: custody.pricing,
        borrow_rate: custody.borrow_rate,
        current_borrow_rate: custody.borrow_rate_state.current_rate,
    });
    Ok(())
}
