//! `set_custody_weights` (admin): sets a custody's target share of its multi-asset pool, the
//! bounds deposits, redemptions and swaps may not push it past, the weight tax and the base swap
//! fee (`types::WeightParams`; all zero removes the weight rule). The targets of a pool's
//! custodies should sum to 100 % (the deploy and the CLI check it; the program steers each
//! custody toward its own target and cannot see the others here).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::CustodyWeightsSet,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        types::WeightParams,
        validation::config::validate_weights,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetCustodyWeights<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,
}

pub fn handler(ctx: Context<SetCustodyWeights>, params: &WeightParams) -> Result<()> {
    // params
    validate_weights(params)?;

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
