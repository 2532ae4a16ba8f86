//! `SetCustodyConfig`: the accounts of the admin's changes to one custody's parameters
//! (set_custody_config, set_custody_weights, set_order_config, set_skew_config): one struct, so
//! each checks the admin, the pool and the custody the same way. Named after its first user: the
//! generated client type `accounts::SetCustodyConfig` is public.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetCustodyConfig<'info> {
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The custody whose parameters change (of `pool`: its PDA).
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,
}
