//! `update_stake_pool` (anyone): brings the stake pool to now: the rewards its custody routed
//! since the last update are taken in, the week boundaries since then processed (boosts of ended
//! locks leave the weight) and the rewards distributed to the weight after them. It never moves
//! value between stakers beyond that rule: rewards routed between two updates go to the weight
//! present at the second (docs/design.md "Lock-ups"), so a staker whose boost ends soon may call
//! it before the boundary; the keeper calls it on every scan.

use {
    crate::{
        constants::{CUSTODY_SEED, POOL_SEED, STAKE_POOL_SEED},
        controller::staking,
        errors::PerpPoolError,
        state::{custody::Custody, pool::Pool, stake_pool::StakePool},
    },
    anchor_lang::prelude::*,
};

/// The accounts of the permissionless update (and of the views, which update first in their
/// simulation).
#[derive(Accounts)]
pub struct UpdateStakePool<'info> {
    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), reward_custody.mint.as_ref()],
        bump = reward_custody.bump,
        constraint = reward_custody.key() == stake_pool.load()?.reward_custody @ PerpPoolError::InvalidRewardCustody
    )]
    pub reward_custody: Box<Account<'info, Custody>>,

    #[account(
        mut,
        seeds = [STAKE_POOL_SEED, pool.key().as_ref()],
        bump = stake_pool.load()?.bump
    )]
    pub stake_pool: AccountLoader<'info, StakePool>,
}

pub fn handler(ctx: Context<UpdateStakePool>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    let pulled = staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;
    emit!(staking::updated_event(key, &stake_pool, &pulled, now));
    Ok(())
}
