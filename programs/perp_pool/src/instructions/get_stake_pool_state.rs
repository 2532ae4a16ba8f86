//! `get_stake_pool_state` (view, simulate): one tranche slot of the stake pool as it is after an
//! update to now (the view runs the update, which a simulation discards; sent for real it is
//! exactly `update_stake_pool`): how much of the tranche's LP is staked and locked, the locks'
//! weighted remaining time, the slot's weight and index, and what the update took in.

use {
    crate::{
        constants::{CUSTODY_SEED, POOL_SEED, STAKE_POOL_SEED},
        controller::staking,
        errors::PerpPoolError,
        math::{safe_math::SafeMath, staking::share_bps},
        state::{custody::Custody, pool::Pool, stake_pool::StakePool},
        types::Tranche,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::Mint,
};

#[derive(Accounts)]
pub struct GetStakePoolState<'info> {
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

    /// The tranche's LP mint (its supply is the denominator of the shares).
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,
}

/// One tranche slot after an update to now.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StakeTrancheState {
    pub tranche: Tranche,
    /// Whether the slot has its vault (takes stakes and rewards).
    pub open: bool,
    /// LP base units staked (locked or not) and in running locks.
    pub staked_amount: u64,
    pub locked_amount: u64,
    /// The tranche's LP supply: the mint's supply plus the pool's dead shares.
    pub lp_supply: u64,
    /// staked / supply and locked / supply, BPS (floor).
    pub staked_share_bps: u64,
    pub locked_share_bps: u64,
    /// Σ locked amount x lock end / locked amount - now, seconds (floor; 0 when nothing is
    /// locked).
    pub weighted_remaining_lock_sec: u64,
    pub total_weight: u128,
    pub reward_index: u128,
    /// Routed rewards not yet taken in before this update (all of the stake pool's slots).
    pub pending_routed: u128,
    /// Tokens this slot was ever entitled to, gave back to the LPs, and paid to its stakers.
    pub entitled: u128,
    pub returned_to_lps: u128,
    pub claimed: u128,
    /// The last processed week (unix / WEEK_SECONDS).
    pub week: u64,
}

pub fn handler(ctx: Context<GetStakePoolState>) -> Result<StakeTrancheState> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let tranche = accounts
        .pool
        .lp_mint_tranche(&accounts.lp_token_mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    let pending_routed = accounts
        .reward_custody
        .stake_rewards_routed
        .safe_sub(stake_pool.split.pulled_routed)?;
    staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;
    let open = stake_pool.is_open(tranche);
    let slot = stake_pool.slot(tranche)?;
    // The pool's dead shares are the junior (pool) LP mint's; a senior mint counts its own.
    let lp_supply = match tranche {
        Tranche::Junior => accounts.pool.lp_supply(accounts.lp_token_mint.supply)?,
        Tranche::Senior => accounts.lp_token_mint.supply,
    };
    Ok(StakeTrancheState {
        tranche,
        open,
        staked_amount: slot.staked_amount,
        locked_amount: slot.locked_amount,
        lp_supply,
        staked_share_bps: share_bps(slot.staked_amount, lp_supply)?,
        locked_share_bps: share_bps(slot.locked_amount, lp_supply)?,
        weighted_remaining_lock_sec: slot.weighted_remaining_lock_sec(now)?,
        total_weight: slot.total_weight,
        reward_index: slot.reward_index,
        pending_routed,
        entitled: slot.entitled,
        returned_to_lps: slot.returned_to_lps,
        claimed: slot.claimed,
        week: slot.last_week,
    })
}
