//! `set_stake_pool_config` (admin): replaces the stake pool's lock ladder and junior share. The
//! stake pool is updated first, so rewards routed before the change are split the old way.
//! Existing stakes keep their lock ends and weights (they store them); a stake whose tier index
//! is beyond a shortened ladder can add to its lock only once the lock has ended.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED},
        controller::staking,
        errors::PerpPoolError,
        events::StakePoolConfigSet,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, stake_pool::StakePool},
        types::LockTier,
        validation::config::validate_stake_config,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetStakePoolConfig<'info> {
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

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct SetStakePoolConfigParams {
    pub ladder: Vec<LockTier>,
    pub junior_share_bps: u64,
}

pub fn handler(ctx: Context<SetStakePoolConfig>, params: &SetStakePoolConfigParams) -> Result<()> {
    // params
    validate_stake_config(&params.ladder, params.junior_share_bps)?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let stake_pool_key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    let pulled = staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;
    stake_pool.set_junior_share(params.junior_share_bps)?;
    stake_pool.set_ladder(&params.ladder)?;

    // emit
    if pulled.changed() {
        emit!(staking::updated_event(
            stake_pool_key,
            &stake_pool,
            &pulled,
            now
        ));
    }
    emit!(StakePoolConfigSet {
        admin: accounts.admin.key(),
        stake_pool: stake_pool_key,
        ladder: params.ladder.clone(),
        junior_share_bps: params.junior_share_bps,
        time: now,
    });
    Ok(())
}
