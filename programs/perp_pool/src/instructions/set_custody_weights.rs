//! `set_custody_weights` (admin): sets a custody's target share of its multi-asset pool, the
//! bounds deposits and swaps may not push it past (redemptions pay the tax instead), the weight tax and the base swap
//! fee (`types::WeightParams`; all zero removes the weight rule). The targets of a pool's
//! custodies should sum to 100 % (the deploy and the CLI check it; the program steers each
//! custody toward its own target and cannot see the others here). A market with skew parameters
//! takes no weight rule (InvalidWeightConfig; see `set_skew_config`).

use {
    crate::{
        errors::PerpPoolError,
        events::CustodyWeightsSet,
        instructions::shared::SetCustodyConfig,
        types::{SkewParams, WeightParams},
        validate,
        validation::config::validate_weights,
    },
    anchor_lang::prelude::*,
};

pub fn handler(ctx: Context<SetCustodyConfig>, params: &WeightParams) -> Result<()> {
    // params
    validate_weights(params)?;
    // A market with skew parameters is not an LP asset (see `set_skew_config`).
    validate!(
        !params.is_set() || ctx.accounts.custody.skew == SkewParams::default(),
        PerpPoolError::InvalidWeightConfig
    )?;

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.weights = *params;

    // emit
    emit!(CustodyWeightsSet {
        pool: ctx.accounts.pool.key(),
        custody: custody.key(),
        weights: *params,
    });
    Ok(())
}
