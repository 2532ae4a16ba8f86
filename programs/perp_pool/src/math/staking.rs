//! LP lock-ups with yield boosts (docs/design.md "Lock-ups"), as pure integer accounting: a
//! stake pool's tranche slots (`TrancheStakes`: total weight, reward index, the week rings), one
//! stake's view (`StakePosition`), the split of routed rewards between the slots
//! (`RewardSplit`), and the lock, unlock, settle and claim rules. No accounts, no clock: callers
//! pass `now`.
//!
//! Weights. A lock of `amount` LP at a tier of multiplier `m` has weight `floor(amount * m /
//! BPS)` while it runs; its boost `weight - amount` leaves the slot's total weight at the lock's
//! end, a week boundary. Week boundaries are processed lazily: every update first walks the weeks
//! since the last one (`process_weeks`), snapshotting the reward index at each boundary and
//! subtracting the boosts that end there (the expiry ring), so expiries need no crank and are
//! exact at the boundary whatever the update times.
//!
//! Rewards. Routed tokens are distributed when an update pulls them: `index += floor(new *
//! 10^18 / total_weight)` to the weight present after the expiries up to now. The floor's
//! remainder is never paid (dust left in the custody's bucket); tokens arriving while a slot has
//! no weight are returned to the LPs. A stake earns `floor(weight * Δindex / 10^18)` at each
//! settle (its boost only up to the index snapshot at its end week). Every rounding is a floor
//! against the staker, so stakers are never paid more than the exact share of what was routed.

use {
    super::safe_math::{cast, mul_div, Rounding, SafeDivRound, SafeMath},
    crate::{
        constants::{BPS_POWER, DAY_SECONDS, REWARD_INDEX_DECIMALS, WEEK_SECONDS},
        errors::PerpPoolError,
        types::LockTier,
    },
    anchor_lang::prelude::*,
};

/// Tranche slots of a stake pool (junior, senior).
pub const TRANCHE_SLOTS: usize = 2;

/// Rungs of a lock ladder (MAX_LOCK_TIERS).
pub const LOCK_TIER_SLOTS: usize = 5;

/// Weeks of the expiry ring: a lock ends at most 53 boundaries after the last processed week
/// (MAX_LOCK_DAYS = 364), so 64 slots never hold two weeks at once.
pub const EXPIRY_RING_WEEKS: usize = 64;

/// Weeks of reward-index snapshots kept (about 3.8 years): a boost whose end is older than that
/// when its stake is next settled earns nothing after the stake's last settle before its end.
/// As many as fit the stake pool account under the 10,240-byte CPI allocation limit.
pub const INDEX_SNAPSHOT_WEEKS: usize = 200;

/// 10^REWARD_INDEX_DECIMALS.
pub const REWARD_INDEX_POWER: u128 = 1_000_000_000_000_000_000;

const _: () = assert!(REWARD_INDEX_DECIMALS == 18);

/// The locks (of one slot) ending at one week boundary. Packed: read fields by value.
#[zero_copy(unsafe)]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct ExpiringWeek {
    /// Σ boost weight (weight above the amount) of those locks: leaves the total weight there.
    pub boost_weight: u128,
    /// Σ LP amount of those locks: leaves the locked amount there.
    pub amount: u64,
}

/// The reward index at one processed week boundary (REWARD_INDEX_DECIMALS).
#[zero_copy(unsafe)]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct IndexSnapshot {
    pub reward_index: u128,
}

/// One tranche slot of a stake pool: what every stake of that tranche's LP shares. Packed (the
/// stake pool is a zero-copy account): read and write fields by value.
#[zero_copy(unsafe)]
#[derive(Debug, PartialEq, Eq)]
#[repr(C, packed)]
pub struct TrancheStakes {
    /// LP units held in the slot's vault for its stakes (locked or not).
    pub staked_amount: u64,
    /// Σ weight of the stakes: amount, plus the boost of every lock whose end week has not been
    /// processed yet.
    pub total_weight: u128,
    /// Reward tokens per weight unit ever distributed, REWARD_INDEX_DECIMALS.
    pub reward_index: u128,
    /// Tokens the slot was ever entitled to (its part of every pull).
    pub entitled: u128,
    /// Of `entitled`, tokens that arrived while the slot had no weight: given back to the LPs.
    pub returned_to_lps: u128,
    /// Tokens ever paid to this slot's stakers.
    pub claimed: u128,
    /// LP units in locks still running (end week not processed yet).
    pub locked_amount: u64,
    /// Σ locked amount x lock end (unix seconds) over those locks: their amount-weighted end is
    /// `locked_end_sum / locked_amount`.
    pub locked_end_sum: u128,
    /// The last week (unix / WEEK_SECONDS) whose boundary was processed.
    pub last_week: u64,
    /// Locks ending at week w are in slot `w % EXPIRY_RING_WEEKS`.
    pub expiring: [ExpiringWeek; EXPIRY_RING_WEEKS],
    /// The index at boundary w is in slot `w % INDEX_SNAPSHOT_WEEKS` for the last
    /// INDEX_SNAPSHOT_WEEKS processed weeks.
    pub snapshots: [IndexSnapshot; INDEX_SNAPSHOT_WEEKS],
}

/// The accounting fields of one stake (`state::stake::Stake`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StakePosition {
    /// LP units staked.
    pub amount: u64,
    /// Tier index of the last lock.
    pub tier: u8,
    /// Multiplier of the last lock, BPS (BPS_POWER for no lock).
    pub multiplier_bps: u32,
    /// End of the lock (a week boundary, unix seconds); 0 = never locked by a lock with a
    /// duration. A lock runs while `now < lock_end`.
    pub lock_end: i64,
    /// Weight counted in the slot's total: amount + boost.
    pub weight: u128,
    /// The part of `weight` above `amount`, counted until the lock's end week is processed.
    pub boost_weight: u128,
    /// The slot's reward index when the stake was last settled.
    pub index_snapshot: u128,
    /// Tokens earned and not claimed.
    pub earned: u64,
}

/// `floor(time / WEEK_SECONDS)`; MathOverflow before 1970.
pub fn week_of(time: i64) -> Result<u64> {
    cast::<i64, u64>(time)?.safe_div(cast(WEEK_SECONDS)?)
}

/// The start (unix seconds) of `week`.
pub fn week_start(week: u64) -> Result<i64> {
    cast::<u64, i64>(week)?.safe_mul(WEEK_SECONDS)
}

/// When a lock of `duration_days` started at `now` ends: the first week boundary at or after
/// `now + duration`; 0 (no lock) for 0 days, which a validated ladder never has (MIN_LOCK_DAYS).
pub fn lock_end(now: i64, duration_days: u16) -> Result<i64> {
    if duration_days == 0 {
        return Ok(0);
    }
    let until = now.safe_add(i64::from(duration_days).safe_mul(DAY_SECONDS)?)?;
    let seconds: u64 = cast(until)?;
    let week_seconds: u64 = cast(WEEK_SECONDS)?;
    cast(
        seconds
            .safe_div_ceil(week_seconds)?
            .safe_mul(week_seconds)?,
    )
}

/// Weight of `amount` LP at `multiplier_bps`: `floor(amount * multiplier / BPS)` (never above
/// the exact weight).
pub fn lock_weight(amount: u64, multiplier_bps: u32) -> Result<u128> {
    mul_div(
        u128::from(amount),
        u128::from(multiplier_bps),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )
}

/// Of `pulled` routed tokens ever taken in, what the junior slot is entitled to:
/// `base_junior + floor((pulled - base_routed) * junior_share_bps / BPS)`. Cumulative, so the
/// split of any amount never depends on how it was cut into pulls; `base_*` move only when the
/// share changes (`RewardSplit::rebase`).
pub fn junior_entitlement(
    pulled: u128,
    base_routed: u128,
    base_junior: u128,
    junior_share_bps: u64,
) -> Result<u128> {
    base_junior.safe_add(mul_div(
        pulled.safe_sub(base_routed)?,
        u128::from(junior_share_bps),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )?)
}

/// How a stake pool takes in its reward custody's routed tokens and splits them between the
/// slots. Packed: read fields by value.
#[zero_copy(unsafe)]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct RewardSplit {
    /// The junior slot's share of routed rewards, BPS, as configured. Applies only while the
    /// senior slot is open (has a vault); otherwise the junior slot gets everything.
    pub junior_share_bps: u64,
    /// How much of the custody's `stake_rewards_routed` this stake pool has taken in.
    pub pulled_routed: u128,
    /// `pulled_routed` when the effective share last changed.
    pub base_routed: u128,
    /// The junior slot's entitlement then.
    pub base_junior: u128,
}

impl RewardSplit {
    /// Takes in `routed - pulled_routed` tokens and returns each slot's new part, with
    /// `junior_share_bps` the effective junior share (BPS when the senior slot is closed).
    /// Errors: MathOverflow if `routed` went backwards or a part exceeds u64.
    pub fn take(&mut self, routed: u128, junior_share_bps: u64) -> Result<[u64; TRANCHE_SLOTS]> {
        let before = self.pulled_routed;
        let new_total = routed.safe_sub(before)?;
        let junior_before =
            junior_entitlement(before, self.base_routed, self.base_junior, junior_share_bps)?;
        let junior_after =
            junior_entitlement(routed, self.base_routed, self.base_junior, junior_share_bps)?;
        let junior = junior_after.safe_sub(junior_before)?;
        let senior = new_total.safe_sub(junior)?;
        self.pulled_routed = routed;
        Ok([cast(junior)?, cast(senior)?])
    }

    /// Freezes the split so far before the effective junior share changes (from
    /// `junior_share_bps` as it is now), so tokens pulled before the change keep the old split.
    pub fn rebase(&mut self, junior_share_bps: u64) -> Result<()> {
        self.base_junior = junior_entitlement(
            self.pulled_routed,
            self.base_routed,
            self.base_junior,
            junior_share_bps,
        )?;
        self.base_routed = self.pulled_routed;
        Ok(())
    }
}

/// What an update did (`update_slots`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    /// Routed tokens taken in, per slot.
    pub new_rewards: [u64; TRANCHE_SLOTS],
    /// Of those, tokens given back to the LPs (slots with no weight).
    pub returned_to_lps: u64,
    /// Week boundaries processed.
    pub weeks_processed: u64,
}

impl Pulled {
    /// Whether the update changed anything.
    pub fn changed(&self) -> bool {
        self.weeks_processed > 0 || self.new_rewards.iter().any(|&n| n > 0)
    }
}

/// Brings the slots to `now` with the reward custody's `routed` counter: takes in what was
/// routed since the last pull (split by the effective junior share `junior_share_bps`,
/// cumulatively), processes every slot's week boundaries up to now, then distributes each slot's
/// part to the weight it has after those expiries (given back to the LPs if it has none).
pub fn update_slots(
    split: &mut RewardSplit,
    slots: &mut [TrancheStakes; TRANCHE_SLOTS],
    routed: u128,
    junior_share_bps: u64,
    now: i64,
) -> Result<Pulled> {
    let new_rewards = split.take(routed, junior_share_bps)?;
    let now_week = week_of(now)?;
    let mut pulled = Pulled {
        new_rewards,
        ..Pulled::default()
    };
    for (slot, new) in slots.iter_mut().zip(new_rewards) {
        let last_week = slot.last_week;
        slot.process_weeks(now_week)?;
        pulled.weeks_processed = pulled
            .weeks_processed
            .max(now_week.saturating_sub(last_week));
        pulled.returned_to_lps = pulled.returned_to_lps.safe_add(slot.distribute(new)?)?;
    }
    Ok(pulled)
}

impl TrancheStakes {
    /// A slot with nothing staked whose last processed week is `week`.
    pub fn new(week: u64) -> Self {
        TrancheStakes {
            staked_amount: 0,
            total_weight: 0,
            reward_index: 0,
            entitled: 0,
            returned_to_lps: 0,
            claimed: 0,
            locked_amount: 0,
            locked_end_sum: 0,
            last_week: week,
            expiring: [ExpiringWeek::default(); EXPIRY_RING_WEEKS],
            snapshots: [IndexSnapshot::default(); INDEX_SNAPSHOT_WEEKS],
        }
    }

    fn expiring_mut(&mut self, week: u64) -> Result<&mut ExpiringWeek> {
        let slot: usize = cast(ring_slot(week, EXPIRY_RING_WEEKS)?)?;
        self.expiring
            .get_mut(slot)
            .ok_or_else(super::safe_math::math_overflow)
    }

    /// The reward index at the boundary of `week` if it is still kept: a processed week among
    /// the last INDEX_SNAPSHOT_WEEKS.
    pub fn snapshot_at(&self, week: u64) -> Result<Option<u128>> {
        let kept = week <= self.last_week
            && self.last_week.safe_sub(week)? < cast::<usize, u64>(INDEX_SNAPSHOT_WEEKS)?;
        if !kept {
            return Ok(None);
        }
        let slot: usize = cast(ring_slot(week, INDEX_SNAPSHOT_WEEKS)?)?;
        Ok(self.snapshots.get(slot).map(|s| s.reward_index))
    }

    /// Processes every week boundary after `last_week` up to `now_week`: the index is
    /// snapshotted at each, and the locks ending there leave the total weight (their boost) and
    /// the locked amount. The index does not move during the walk, so only the last
    /// INDEX_SNAPSHOT_WEEKS snapshots are written, and only the first EXPIRY_RING_WEEKS weeks
    /// can hold expiries: at most 263 steps however long the slot was idle. Never goes back.
    pub fn process_weeks(&mut self, now_week: u64) -> Result<()> {
        let last = self.last_week;
        if now_week <= last {
            return Ok(());
        }
        let expiry_end = now_week.min(last.safe_add(cast(EXPIRY_RING_WEEKS)?)?);
        let mut week = last.safe_add(1)?;
        while week <= expiry_end {
            let entry = self.expiring_mut(week)?;
            let (boost, amount) = (entry.boost_weight, entry.amount);
            *entry = ExpiringWeek::default();
            self.total_weight = self.total_weight.safe_sub(boost)?;
            self.locked_amount = self.locked_amount.safe_sub(amount)?;
            let end_sum = u128::from(amount).safe_mul(cast(week_start(week)?)?)?;
            self.locked_end_sum = self.locked_end_sum.safe_sub(end_sum)?;
            week = week.safe_add(1)?;
        }
        let kept: u64 = cast(INDEX_SNAPSHOT_WEEKS)?;
        let mut week = last
            .safe_add(1)?
            .max(now_week.safe_add(1)?.saturating_sub(kept));
        let index = self.reward_index;
        while week <= now_week {
            let slot: usize = cast(ring_slot(week, INDEX_SNAPSHOT_WEEKS)?)?;
            if let Some(snapshot) = self.snapshots.get_mut(slot) {
                snapshot.reward_index = index;
            }
            week = week.safe_add(1)?;
        }
        self.last_week = now_week;
        Ok(())
    }

    /// Adds `amount` newly entitled tokens: into the index if the slot has weight
    /// (`floor(amount * 10^18 / total_weight)`: the remainder is never paid), else given back to
    /// the LPs. Returns the tokens given back. Call after `process_weeks` to now.
    pub fn distribute(&mut self, amount: u64) -> Result<u64> {
        self.entitled = self.entitled.safe_add(u128::from(amount))?;
        if amount == 0 {
            return Ok(0);
        }
        if self.total_weight == 0 {
            self.returned_to_lps = self.returned_to_lps.safe_add(u128::from(amount))?;
            return Ok(amount);
        }
        let delta = mul_div(
            u128::from(amount),
            REWARD_INDEX_POWER,
            self.total_weight,
            Rounding::Floor,
        )?;
        self.reward_index = self.reward_index.safe_add(delta)?;
        Ok(0)
    }

    /// Whether `stake`'s lock still counts its boost here (its end week is not processed).
    fn boost_running(&self, stake: &StakePosition) -> Result<bool> {
        Ok(stake.lock_end > 0 && week_of(stake.lock_end)? > self.last_week)
    }

    /// Books `stake`'s rewards up to the index now into `stake.earned` (floor) and returns them.
    /// A boost whose end week has been processed earns up to the index snapshot at that week
    /// (nothing past the stake's last settle if the snapshot is no longer kept) and is dropped
    /// (weight = amount). Call after `process_weeks` to now.
    pub fn settle(&self, stake: &mut StakePosition) -> Result<u64> {
        let index = self.reward_index;
        let snapshot = stake.index_snapshot;
        let scaled = if stake.boost_weight > 0 && !self.boost_running(stake)? {
            let end_index = self
                .snapshot_at(week_of(stake.lock_end)?)?
                .unwrap_or(snapshot);
            let base = u128::from(stake.amount).safe_mul(index.safe_sub(snapshot)?)?;
            let boost = stake.boost_weight.safe_mul(end_index.safe_sub(snapshot)?)?;
            stake.weight = u128::from(stake.amount);
            stake.boost_weight = 0;
            base.safe_add(boost)?
        } else {
            stake.weight.safe_mul(index.safe_sub(snapshot)?)?
        };
        let earned: u64 = cast(scaled.safe_div(REWARD_INDEX_POWER)?)?;
        stake.earned = stake.earned.safe_add(earned)?;
        stake.index_snapshot = index;
        Ok(earned)
    }

    /// Counts a settled stake in the slot: its weight, its amount and, while its lock runs, its
    /// expiry (boost and amount at its end week) and its locked amount.
    pub fn add_stake(&mut self, stake: &StakePosition) -> Result<()> {
        self.total_weight = self.total_weight.safe_add(stake.weight)?;
        self.staked_amount = self.staked_amount.safe_add(stake.amount)?;
        if self.boost_running(stake)? {
            let end_week = week_of(stake.lock_end)?;
            validate_ring_reach(end_week, self.last_week)?;
            let entry = self.expiring_mut(end_week)?;
            entry.boost_weight = entry.boost_weight.safe_add(stake.boost_weight)?;
            entry.amount = entry.amount.safe_add(stake.amount)?;
            self.locked_amount = self.locked_amount.safe_add(stake.amount)?;
            let end_sum = u128::from(stake.amount).safe_mul(cast(stake.lock_end)?)?;
            self.locked_end_sum = self.locked_end_sum.safe_add(end_sum)?;
        }
        Ok(())
    }

    /// Exactly undoes `add_stake` of the same (settled) stake.
    pub fn remove_stake(&mut self, stake: &StakePosition) -> Result<()> {
        self.total_weight = self.total_weight.safe_sub(stake.weight)?;
        self.staked_amount = self.staked_amount.safe_sub(stake.amount)?;
        if self.boost_running(stake)? {
            let entry = self.expiring_mut(week_of(stake.lock_end)?)?;
            entry.boost_weight = entry.boost_weight.safe_sub(stake.boost_weight)?;
            entry.amount = entry.amount.safe_sub(stake.amount)?;
            self.locked_amount = self.locked_amount.safe_sub(stake.amount)?;
            let end_sum = u128::from(stake.amount).safe_mul(cast(stake.lock_end)?)?;
            self.locked_end_sum = self.locked_end_sum.safe_sub(end_sum)?;
        }
        Ok(())
    }

    /// `amount_weighted_end - now` over the running locks (seconds, floor), 0 when none.
    pub fn weighted_remaining_lock_sec(&self, now: i64) -> Result<u64> {
        if self.locked_amount == 0 {
            return Ok(0);
        }
        let end: i64 = cast(
            self.locked_end_sum
                .safe_div(u128::from(self.locked_amount))?,
        )?;
        cast(end.safe_sub(now)?.max(0))
    }
}

fn ring_slot(week: u64, ring: usize) -> Result<u64> {
    week.checked_rem(cast(ring)?)
        .ok_or_else(super::safe_math::math_overflow)
}

/// A lock's end week must be within the expiry ring's reach of the last processed week.
fn validate_ring_reach(end_week: u64, last_week: u64) -> Result<()> {
    require!(
        end_week.safe_sub(last_week)? < cast::<usize, u64>(EXPIRY_RING_WEEKS)?,
        PerpPoolError::InvalidLockTier
    );
    Ok(())
}

/// Locks `amount` more LP (0: relock / extend what is staked) into `stake` at tier `tier_index`
/// of the ladder (`tier`), at `now`, after settling the stake (the slot must be processed to
/// now). A running lock (`now < lock_end`) cannot move to a lower tier index (LockShortened); the
/// whole amount takes the end `max(old end, this tier's end)` and this tier's multiplier. An
/// ended lock (or none) may take any tier. Returns what the settle earned. Errors, in order:
/// ZeroAmount (nothing staked and nothing added), LockShortened, InvalidLockTier (an end beyond
/// the expiry ring's reach).
pub fn lock(
    slot: &mut TrancheStakes,
    stake: &mut StakePosition,
    amount: u64,
    tier_index: u8,
    tier: LockTier,
    now: i64,
) -> Result<u64> {
    let earned = slot.settle(stake)?;
    let total = stake.amount.safe_add(amount)?;
    require!(total > 0, PerpPoolError::ZeroAmount);
    let running = stake.lock_end > now;
    require!(
        !running || tier_index >= stake.tier,
        PerpPoolError::LockShortened
    );
    let tier_end = lock_end(now, tier.duration_days)?;
    let end = if running {
        stake.lock_end.max(tier_end)
    } else {
        tier_end
    };
    slot.remove_stake(stake)?;
    let (multiplier_bps, weight) = if end > now {
        (
            tier.multiplier_bps,
            lock_weight(total, tier.multiplier_bps)?,
        )
    } else {
        (cast(BPS_POWER)?, u128::from(total))
    };
    stake.amount = total;
    stake.tier = tier_index;
    stake.multiplier_bps = multiplier_bps;
    stake.lock_end = end;
    stake.weight = weight;
    stake.boost_weight = weight.safe_sub(u128::from(total))?;
    slot.add_stake(stake)?;
    Ok(earned)
}

/// Takes `amount` LP out of `stake` once its lock has ended (`lock_end <= now`), after settling
/// it (the slot must be processed to now, so the boost is gone). Returns what the settle earned.
/// Errors, in order: ZeroAmount, StakeLocked, InsufficientStake.
pub fn unlock(
    slot: &mut TrancheStakes,
    stake: &mut StakePosition,
    amount: u64,
    now: i64,
) -> Result<u64> {
    let earned = slot.settle(stake)?;
    require!(amount > 0, PerpPoolError::ZeroAmount);
    require!(stake.lock_end <= now, PerpPoolError::StakeLocked);
    require!(amount <= stake.amount, PerpPoolError::InsufficientStake);
    slot.remove_stake(stake)?;
    stake.amount = stake.amount.safe_sub(amount)?;
    stake.weight = u128::from(stake.amount);
    stake.boost_weight = 0;
    slot.add_stake(stake)?;
    Ok(earned)
}

/// Settles `stake` (the slot processed to now) and takes everything it has earned.
/// Errors: ZeroAmount.
pub fn claim(slot: &mut TrancheStakes, stake: &mut StakePosition) -> Result<u64> {
    slot.settle(stake)?;
    let amount = stake.earned;
    require!(amount > 0, PerpPoolError::ZeroAmount);
    stake.earned = 0;
    slot.claimed = slot.claimed.safe_add(u128::from(amount))?;
    Ok(amount)
}

/// `part * BPS / whole` (floor), 0 when `whole` is 0: a share in BPS.
pub fn share_bps(part: u64, whole: u64) -> Result<u64> {
    if whole == 0 {
        return Ok(0);
    }
    cast(mul_div(
        u128::from(part),
        u128::from(BPS_POWER),
        u128::from(whole),
        Rounding::Floor,
    )?)
}

#[cfg(test)]
mod tests;
