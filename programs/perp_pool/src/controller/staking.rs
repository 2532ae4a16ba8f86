//! LP staking (docs/design.md "Lock-ups"): every instruction that touches a stake pool first
//! updates it to now (`update`: routed rewards taken in, week boundaries processed, rewards
//! distributed), which may hand rewards back to the LPs of the reward custody; then it applies
//! its own change to the stake (settled first, in `math::staking`). The caller moves the tokens
//! and emits the events.

use {
    crate::{
        events::StakePoolUpdated,
        math::{
            safe_math::SafeMath,
            staking::{self, Pulled},
        },
        state::{custody::Custody, stake::Stake, stake_pool::StakePool},
        types::Tranche,
    },
    anchor_lang::prelude::*,
};

/// Brings `stake_pool` to `now` from its reward `custody` (`StakePool::update`) and books the
/// rewards given back to the LPs: out of the custody's stake rewards into its owned tokens, with
/// the custody's interest accrued before and its borrow rate re-derived after (owned changes
/// utilisation). No token moves: both buckets are in the custody's vault.
pub fn update(stake_pool: &mut StakePool, custody: &mut Custody, now: i64) -> Result<Pulled> {
    let pulled = stake_pool.update(custody.stake_rewards_routed, now)?;
    let returned = pulled.returned_to_lps;
    if returned > 0 {
        custody.accrue_interest(now)?;
        let assets = &mut custody.assets;
        assets.stake_rewards = assets.stake_rewards.safe_sub(returned)?;
        assets.owned = assets.owned.safe_add(returned)?;
        custody.update_borrow_rate()?;
    }
    Ok(pulled)
}

/// The event of an update, for `stake_pool` (its address) after it.
pub fn updated_event(
    key: Pubkey,
    stake_pool: &StakePool,
    pulled: &Pulled,
    now: i64,
) -> StakePoolUpdated {
    let (mut total_weight, mut reward_index, mut week) = ([0u128; 2], [0u128; 2], 0u64);
    for ((weight, index), slot) in total_weight
        .iter_mut()
        .zip(reward_index.iter_mut())
        .zip(stake_pool.slots.iter())
    {
        *weight = slot.total_weight;
        *index = slot.reward_index;
        week = week.max(slot.last_week);
    }
    StakePoolUpdated {
        stake_pool: key,
        new_rewards: pulled.new_rewards,
        returned_to_lps: pulled.returned_to_lps,
        pulled_routed: stake_pool.split.pulled_routed,
        total_weight,
        reward_index,
        week,
        time: now,
    }
}

/// What a stake change did.
#[derive(Clone, Copy, Debug)]
pub struct StakeChanged {
    pub pulled: Pulled,
    /// Rewards the settle before the change booked to the stake.
    pub earned: u64,
    /// The slot's total weight and staked LP after.
    pub total_weight: u128,
    pub staked_amount: u64,
}

fn changed(
    stake_pool: &StakePool,
    tranche: Tranche,
    pulled: Pulled,
    earned: u64,
) -> Result<StakeChanged> {
    let slot = stake_pool.slot(tranche)?;
    Ok(StakeChanged {
        pulled,
        earned,
        total_weight: slot.total_weight,
        staked_amount: slot.staked_amount,
    })
}

/// `lock_lp`: updates, then locks `amount` more LP of `stake.tranche` (0: extends the lock) at
/// ladder tier `tier_index` (InvalidLockTier if the ladder has none), per `math::staking::lock`.
/// The caller moves `amount` LP into the slot's vault.
pub fn lock(
    stake_pool: &mut StakePool,
    custody: &mut Custody,
    stake: &mut Stake,
    amount: u64,
    tier_index: u8,
    now: i64,
) -> Result<StakeChanged> {
    let tier = stake_pool.tier(tier_index)?;
    let pulled = update(stake_pool, custody, now)?;
    let mut position = stake.position();
    let slot = stake_pool.slot_mut(stake.tranche)?;
    let earned = staking::lock(slot, &mut position, amount, tier_index, tier, now)?;
    stake.set_position(&position);
    stake.lock_time = now;
    changed(stake_pool, stake.tranche, pulled, earned)
}

/// `unlock_lp_stake`: updates, then takes `amount` LP out of an ended lock, per
/// `math::staking::unlock`. The caller moves `amount` LP out of the slot's vault.
pub fn unlock(
    stake_pool: &mut StakePool,
    custody: &mut Custody,
    stake: &mut Stake,
    amount: u64,
    now: i64,
) -> Result<StakeChanged> {
    let pulled = update(stake_pool, custody, now)?;
    let mut position = stake.position();
    let slot = stake_pool.slot_mut(stake.tranche)?;
    let earned = staking::unlock(slot, &mut position, amount, now)?;
    stake.set_position(&position);
    changed(stake_pool, stake.tranche, pulled, earned)
}

/// What a claim did.
#[derive(Clone, Copy, Debug)]
pub struct Claimed {
    pub pulled: Pulled,
    /// Reward tokens to pay.
    pub amount: u64,
    /// The custody's stake rewards after.
    pub stake_rewards: u64,
}

/// `claim_stake_rewards`: updates, settles the stake and takes everything it earned out of the
/// custody's stake rewards (ZeroAmount if nothing). The caller pays `amount` out of the vault.
pub fn claim(
    stake_pool: &mut StakePool,
    custody: &mut Custody,
    stake: &mut Stake,
    now: i64,
) -> Result<Claimed> {
    let pulled = update(stake_pool, custody, now)?;
    let mut position = stake.position();
    let slot = stake_pool.slot_mut(stake.tranche)?;
    let amount = staking::claim(slot, &mut position)?;
    stake.set_position(&position);
    stake.claimed = stake.claimed.saturating_add(amount);
    let assets = &mut custody.assets;
    assets.stake_rewards = assets.stake_rewards.safe_sub(amount)?;
    Ok(Claimed {
        pulled,
        amount,
        stake_rewards: assets.stake_rewards,
    })
}
