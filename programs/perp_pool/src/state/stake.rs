//! One owner's stake of one tranche's LP in a pool's stake pool (docs/design.md "Lock-ups").

use {
    crate::{math::staking::StakePosition, types::Tranche},
    anchor_lang::prelude::*,
};

/// PDA `[STAKE_SEED, stake_pool, lp_mint, owner]`, created by the owner's first `lock_lp` of that
/// LP mint (rent paid by the owner) and kept afterwards.
#[account]
#[derive(Debug, Default, InitSpace)]
pub struct Stake {
    pub owner: Pubkey,
    pub stake_pool: Pubkey,
    /// The staked tranche's LP mint.
    pub lp_mint: Pubkey,
    pub tranche: Tranche,
    /// LP units staked (in the slot's vault).
    pub amount: u64,
    /// Ladder index of the last lock.
    pub tier: u8,
    /// Multiplier of the last lock, BPS (10_000 for no lock).
    pub multiplier_bps: u32,
    /// Unix seconds of the last lock or extension.
    pub lock_time: i64,
    /// End of the lock, a week boundary (unix seconds); 0 = no lock. LP can be unlocked from
    /// then on.
    pub lock_end: i64,
    /// Weight in the slot's total: amount, plus the boost until the lock's end week.
    pub weight: u128,
    /// `weight - amount` while the boost counts (as of the last settle).
    pub boost_weight: u128,
    /// The slot's reward index at the last settle (REWARD_INDEX_DECIMALS).
    pub index_snapshot: u128,
    /// Reward tokens earned and not claimed (as of the last settle).
    pub earned: u64,
    /// Reward tokens ever claimed.
    pub claimed: u64,
    pub bump: u8,
}

impl Stake {
    /// The accounting fields, for `math::staking`.
    pub fn position(&self) -> StakePosition {
        StakePosition {
            amount: self.amount,
            tier: self.tier,
            multiplier_bps: self.multiplier_bps,
            lock_end: self.lock_end,
            weight: self.weight,
            boost_weight: self.boost_weight,
            index_snapshot: self.index_snapshot,
            earned: self.earned,
        }
    }

    /// Writes back what `math::staking` changed.
    pub fn set_position(&mut self, position: &StakePosition) {
        self.amount = position.amount;
        self.tier = position.tier;
        self.multiplier_bps = position.multiplier_bps;
        self.lock_end = position.lock_end;
        self.weight = position.weight;
        self.boost_weight = position.boost_weight;
        self.index_snapshot = position.index_snapshot;
        self.earned = position.earned;
    }
}
