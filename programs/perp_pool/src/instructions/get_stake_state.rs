//! `get_stake_state` (view, simulate): one stake as it would be settled now, after an update of
//! its stake pool (run by the view, discarded by a simulation; the stake itself is read-only):
//! its amount, weight, lock end and the rewards it could claim now.

use {
    crate::{
        constants::{CUSTODY_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_SEED},
        controller::staking,
        errors::PerpPoolError,
        state::{custody::Custody, pool::Pool, stake::Stake, stake_pool::StakePool},
        types::Tranche,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct GetStakeState<'info> {
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

    #[account(
        seeds = [
            STAKE_SEED,
            stake_pool.key().as_ref(),
            stake.lp_mint.as_ref(),
            stake.owner.as_ref()
        ],
        bump = stake.bump
    )]
    pub stake: Box<Account<'info, Stake>>,
}

/// A stake settled now.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StakeState {
    pub tranche: Tranche,
    /// LP base units staked.
    pub amount: u64,
    pub tier: u8,
    pub multiplier_bps: u32,
    pub lock_end: i64,
    /// Whether `unlock_lp_stake` would accept it now (the lock has ended).
    pub unlockable: bool,
    pub weight: u128,
    pub boost_weight: u128,
    /// Reward tokens `claim_stake_rewards` would pay now.
    pub earned: u64,
}

pub fn handler(ctx: Context<GetStakeState>) -> Result<StakeState> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let stake = &accounts.stake;
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;
    let mut position = stake.position();
    stake_pool.slot(stake.tranche)?.settle(&mut position)?;
    Ok(StakeState {
        tranche: stake.tranche,
        amount: position.amount,
        tier: position.tier,
        multiplier_bps: position.multiplier_bps,
        lock_end: position.lock_end,
        unlockable: position.lock_end <= now,
        weight: position.weight,
        boost_weight: position.boost_weight,
        earned: position.earned,
    })
}
