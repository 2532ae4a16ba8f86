//! A pool's stake pool (docs/design.md "Lock-ups"): the lock ladder, how routed rewards are taken
//! in and split between the tranche slots, the slots' staked-LP vaults and their accounting
//! (`math::staking::TrancheStakes`).
//!
//! Zero-copy (`AccountLoader`): the account is about 10 KB, too large to deserialize onto an SBF
//! stack frame. It is `repr(packed)` (`zero_copy(unsafe)`), so its layout is its borsh layout on
//! every target (no padding, no alignment difference between the host and SBF for the u128
//! fields) and the IDL describes it exactly; the price is that no reference to a field wider than
//! a byte may be taken: fields are read and written by value.

use {
    crate::{
        constants::BPS_POWER,
        errors::PerpPoolError,
        math::{
            safe_math::cast,
            staking::{
                update_slots, Pulled, RewardSplit, TrancheStakes, LOCK_TIER_SLOTS, TRANCHE_SLOTS,
            },
        },
        types::{LockTier, Tranche},
    },
    anchor_lang::prelude::*,
};

/// PDA `[STAKE_POOL_SEED, pool]`, created by `init_stake_pool`.
#[account(zero_copy(unsafe))]
#[derive(Debug)]
#[repr(C, packed)]
pub struct StakePool {
    pub pool: Pubkey,
    /// The custody whose `stake_rewards` pays the stakers (a stable custody of the pool: trading
    /// fees are paid in collateral-custody tokens).
    pub reward_custody: Pubkey,
    /// The lock ladder: `ladder[..tier_count]`.
    pub ladder: [LockTier; LOCK_TIER_SLOTS],
    pub tier_count: u8,
    pub bump: u8,
    /// Unix seconds of `init_stake_pool`.
    pub inception_time: i64,
    /// Routed rewards taken in and the junior / senior split.
    pub split: RewardSplit,
    /// Each slot's staked-LP vault, PDA `[STAKE_VAULT_SEED, stake_pool, lp_mint]`; the default
    /// key while the slot is closed (the senior slot of a pool without tranches).
    pub vaults: [Pubkey; TRANCHE_SLOTS],
    /// Each slot's LP mint (the default key while closed).
    pub lp_mints: [Pubkey; TRANCHE_SLOTS],
    pub slots: [TrancheStakes; TRANCHE_SLOTS],
}

/// Size of the account's data after the 8-byte discriminator.
pub const STAKE_POOL_SIZE: usize = core::mem::size_of::<StakePool>();

// Anchor creates the account through a CPI to the system program, which allocates at most
// 10,240 bytes.
const _: () = assert!(8 + STAKE_POOL_SIZE <= 10_240);

impl StakePool {
    /// The ladder's tiers.
    pub fn tiers(&self) -> &[LockTier] {
        let count = usize::from(self.tier_count).min(LOCK_TIER_SLOTS);
        self.ladder.get(..count).unwrap_or(&[])
    }

    /// Tier `index` of the ladder, or InvalidLockTier.
    pub fn tier(&self, index: u8) -> Result<LockTier> {
        self.tiers()
            .get(usize::from(index))
            .copied()
            .ok_or_else(|| error!(PerpPoolError::InvalidLockTier))
    }

    /// Replaces the ladder (already validated).
    pub fn set_ladder(&mut self, tiers: &[LockTier]) -> Result<()> {
        require!(
            tiers.len() <= LOCK_TIER_SLOTS,
            PerpPoolError::InvalidStakeConfig
        );
        let mut ladder = [LockTier::default(); LOCK_TIER_SLOTS];
        for (slot, tier) in ladder.iter_mut().zip(tiers) {
            *slot = *tier;
        }
        self.ladder = ladder;
        self.tier_count = cast(tiers.len())?;
        Ok(())
    }

    pub fn slot(&self, tranche: Tranche) -> Result<&TrancheStakes> {
        self.slots
            .get(tranche.slot())
            .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))
    }

    pub fn slot_mut(&mut self, tranche: Tranche) -> Result<&mut TrancheStakes> {
        self.slots
            .get_mut(tranche.slot())
            .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))
    }

    /// The staked-LP vault of `tranche`'s slot (the default key while it is closed).
    pub fn vault(&self, tranche: Tranche) -> Pubkey {
        self.vaults.get(tranche.slot()).copied().unwrap_or_default()
    }

    /// Whether `tranche`'s slot has its vault (takes stakes and rewards).
    pub fn is_open(&self, tranche: Tranche) -> bool {
        self.vault(tranche) != Pubkey::default()
    }

    /// The junior slot's share of routed rewards now: as configured while the senior slot is
    /// open, everything otherwise (a pool without tranches: the junior slot is its only one).
    pub fn effective_junior_share_bps(&self) -> u64 {
        if self.is_open(Tranche::Senior) {
            self.split.junior_share_bps
        } else {
            BPS_POWER
        }
    }

    /// Brings the stake pool to `now` with the reward custody's `routed` counter: takes in what
    /// was routed since the last pull (split between the slots by the effective junior share,
    /// cumulatively), processes every slot's week boundaries up to now, then distributes each
    /// slot's part to the weight it has after those expiries (given back to the LPs if none).
    /// The caller moves `returned_to_lps` from the custody's stake rewards to its owned tokens.
    pub fn update(&mut self, routed: u128, now: i64) -> Result<Pulled> {
        let share = self.effective_junior_share_bps();
        update_slots(&mut self.split, &mut self.slots, routed, share, now)
    }

    /// Changes the junior share (after `update` to now): the split so far is frozen at the old
    /// share first.
    pub fn set_junior_share(&mut self, junior_share_bps: u64) -> Result<()> {
        let share = self.effective_junior_share_bps();
        self.split.rebase(share)?;
        self.split.junior_share_bps = junior_share_bps;
        Ok(())
    }

    /// Opens `tranche`'s slot with its vault (after `update` to now): the split so far is frozen
    /// first, since opening the senior slot changes the effective junior share.
    pub fn open_slot(&mut self, tranche: Tranche, vault: Pubkey, lp_mint: Pubkey) -> Result<()> {
        require!(!self.is_open(tranche), PerpPoolError::StakeVaultExists);
        let share = self.effective_junior_share_bps();
        self.split.rebase(share)?;
        let slot = tranche.slot();
        *self
            .vaults
            .get_mut(slot)
            .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))? = vault;
        *self
            .lp_mints
            .get_mut(slot)
            .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))? = lp_mint;
        Ok(())
    }
}
