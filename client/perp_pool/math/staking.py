"""LP lock-ups with yield boosts, mirroring math/staking.rs (and the ladder check of
validation/config.rs) exactly, on the shared vectors (tests/vectors/perps.json, `stake_*`).

A stake pool's tranche slot (`TrancheStakes`) has a total weight (amounts plus the boost of the
locks still running), a reward index (tokens per weight unit, REWARD_INDEX_DECIMALS) and two week
rings: the boost and amount of the locks ending at each week, and the index at each processed week
boundary. An update (`update_slots`) takes in what the reward custody routed since the last one
(split between the slots cumulatively), walks the week boundaries since then (snapshots, expiries)
and adds each slot's part to its index (floor; with no weight the tokens go back to the LPs).
A stake earns `floor(weight * (index - snapshot) / 10^18)` at each settle, its boost only up to the
index at its end week. Every rounding is against the staker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from perp_pool import errors
from perp_pool.constants import (
    BPS_POWER,
    DAY_SECONDS,
    MAX_LOCK_DAYS,
    MAX_LOCK_MULTIPLIER_BPS,
    MAX_LOCK_TIERS,
    MIN_LOCK_DAYS,
    REWARD_INDEX_DECIMALS,
    WEEK_SECONDS,
)
from perp_pool.math.fixed import Rounding, div_round, mul_div, u64, u128

__all__ = ["EXPIRY_RING_WEEKS", "INDEX_SNAPSHOT_WEEKS", "REWARD_INDEX_POWER", "TRANCHE_SLOTS", "LockTier", "Pulled",
           "RewardSplit", "StakePosition", "TrancheStakes", "claim", "junior_entitlement", "lock", "lock_end",
           "lock_weight", "share_bps", "unlock", "update_slots", "validate_stake_config", "week_of", "week_start"]

TRANCHE_SLOTS = 2
# Weeks of the expiry ring and of the index snapshots (math/staking.rs; tests/test_staking_math.py
# checks they are the program's).
EXPIRY_RING_WEEKS = 64
INDEX_SNAPSHOT_WEEKS = 200
REWARD_INDEX_POWER: int = 10**REWARD_INDEX_DECIMALS


@dataclass(frozen=True)
class LockTier:
    duration_days: int  # MIN_LOCK_DAYS..MAX_LOCK_DAYS: every tier locks
    multiplier_bps: int  # weight per LP unit while locked, BPS (10_000 = 1x)


def week_of(time: int) -> int:
    """`floor(time / WEEK_SECONDS)`; MathOverflow before 1970."""
    return u64(time) // WEEK_SECONDS


def week_start(week: int) -> int:
    return week * WEEK_SECONDS


def lock_end(now: int, duration_days: int) -> int:
    """The first week boundary at or after `now + duration`; 0 (no lock) for 0 days (never a validated tier)."""
    if duration_days == 0:
        return 0
    until = u64(now + duration_days * DAY_SECONDS)
    return div_round(until, WEEK_SECONDS, Rounding.CEIL) * WEEK_SECONDS


def lock_weight(amount: int, multiplier_bps: int) -> int:
    """`floor(amount * multiplier / BPS)`."""
    return mul_div(amount, multiplier_bps, BPS_POWER, Rounding.FLOOR)


def junior_entitlement(pulled: int, base_routed: int, base_junior: int, junior_share_bps: int) -> int:
    """`base_junior + floor((pulled - base_routed) * share / BPS)`: cumulative, so the split never depends
    on how the routed tokens were cut into pulls."""
    return u128(base_junior + mul_div(u128(pulled - base_routed), junior_share_bps, BPS_POWER, Rounding.FLOOR))


def share_bps(part: int, whole: int) -> int:
    """`part * BPS / whole` (floor), 0 for an empty whole."""
    return 0 if whole == 0 else u64(mul_div(part, BPS_POWER, whole, Rounding.FLOOR))


@dataclass
class RewardSplit:
    junior_share_bps: int = 0
    pulled_routed: int = 0
    base_routed: int = 0
    base_junior: int = 0

    def take(self, routed: int, junior_share_bps: int) -> tuple[int, int]:
        """Takes in `routed - pulled_routed`: (junior part, senior part)."""
        before = self.pulled_routed
        new_total = u128(routed - before)
        junior = u128(junior_entitlement(routed, self.base_routed, self.base_junior, junior_share_bps)
                      - junior_entitlement(before, self.base_routed, self.base_junior, junior_share_bps))
        senior = u128(new_total - junior)
        self.pulled_routed = routed
        return u64(junior), u64(senior)

    def rebase(self, junior_share_bps: int) -> None:
        """Freezes the split so far before the effective share changes."""
        self.base_junior = junior_entitlement(self.pulled_routed, self.base_routed, self.base_junior,
                                              junior_share_bps)
        self.base_routed = self.pulled_routed


@dataclass
class StakePosition:
    amount: int = 0
    tier: int = 0
    multiplier_bps: int = 0
    lock_end: int = 0  # a week boundary; 0 = no lock
    weight: int = 0
    boost_weight: int = 0
    index_snapshot: int = 0
    earned: int = 0


@dataclass(frozen=True)
class Pulled:
    new_rewards: tuple[int, int]
    returned_to_lps: int
    weeks_processed: int


def _ring() -> list[list[int]]:
    return [[0, 0] for _ in range(EXPIRY_RING_WEEKS)]


@dataclass
class TrancheStakes:
    last_week: int
    staked_amount: int = 0
    total_weight: int = 0
    reward_index: int = 0
    entitled: int = 0
    returned_to_lps: int = 0
    claimed: int = 0
    locked_amount: int = 0
    locked_end_sum: int = 0
    expiring: list[list[int]] = field(default_factory=_ring)  # [boost_weight, amount] per week % ring
    snapshots: list[int] = field(default_factory=lambda: [0] * INDEX_SNAPSHOT_WEEKS)

    @classmethod
    def from_account(cls, s: Any) -> TrancheStakes:
        """An anchorpy-decoded `TrancheStakes` (a slot of a `StakePool` account)."""
        return cls(
            last_week=s.last_week, staked_amount=s.staked_amount, total_weight=s.total_weight,
            reward_index=s.reward_index, entitled=s.entitled, returned_to_lps=s.returned_to_lps,
            claimed=s.claimed, locked_amount=s.locked_amount, locked_end_sum=s.locked_end_sum,
            expiring=[[e.boost_weight, e.amount] for e in s.expiring],
            snapshots=[x.reward_index for x in s.snapshots])

    def snapshot_at(self, week: int) -> int | None:
        if week <= self.last_week and self.last_week - week < INDEX_SNAPSHOT_WEEKS:
            return self.snapshots[week % INDEX_SNAPSHOT_WEEKS]
        return None

    def process_weeks(self, now_week: int) -> None:
        """Walks the week boundaries after `last_week` up to `now_week` (snapshots, expiries)."""
        last = self.last_week
        if now_week <= last:
            return
        for week in range(last + 1, min(now_week, last + EXPIRY_RING_WEEKS) + 1):
            boost, amount = self.expiring[week % EXPIRY_RING_WEEKS]
            self.expiring[week % EXPIRY_RING_WEEKS] = [0, 0]
            self.total_weight = u128(self.total_weight - boost)
            self.locked_amount = u64(self.locked_amount - amount)
            self.locked_end_sum = u128(self.locked_end_sum - amount * week_start(week))
        for week in range(max(last + 1, now_week + 1 - INDEX_SNAPSHOT_WEEKS), now_week + 1):
            self.snapshots[week % INDEX_SNAPSHOT_WEEKS] = self.reward_index
        self.last_week = now_week

    def distribute(self, amount: int) -> int:
        """Adds `amount` to the index (floor), or gives it back to the LPs with no weight; returns that."""
        self.entitled = u128(self.entitled + amount)
        if amount == 0:
            return 0
        if self.total_weight == 0:
            self.returned_to_lps = u128(self.returned_to_lps + amount)
            return amount
        self.reward_index = u128(self.reward_index + mul_div(amount, REWARD_INDEX_POWER, self.total_weight,
                                                             Rounding.FLOOR))
        return 0

    def _boost_running(self, stake: StakePosition) -> bool:
        return stake.lock_end > 0 and week_of(stake.lock_end) > self.last_week

    def settle(self, stake: StakePosition) -> int:
        """Books the stake's rewards up to now (floor) and returns them; drops an ended boost."""
        index, snapshot = self.reward_index, stake.index_snapshot
        if stake.boost_weight > 0 and not self._boost_running(stake):
            end_index = self.snapshot_at(week_of(stake.lock_end))
            end_index = snapshot if end_index is None else end_index
            scaled = u128(stake.amount * u128(index - snapshot)) + u128(stake.boost_weight * u128(end_index - snapshot))
            stake.weight, stake.boost_weight = stake.amount, 0
        else:
            scaled = u128(stake.weight * u128(index - snapshot))
        earned = u64(u128(scaled) // REWARD_INDEX_POWER)
        stake.earned = u64(stake.earned + earned)
        stake.index_snapshot = index
        return earned

    def add_stake(self, stake: StakePosition) -> None:
        self.total_weight = u128(self.total_weight + stake.weight)
        self.staked_amount = u64(self.staked_amount + stake.amount)
        if self._boost_running(stake):
            end_week = week_of(stake.lock_end)
            if end_week - self.last_week >= EXPIRY_RING_WEEKS:
                raise errors.InvalidLockTier()
            entry = self.expiring[end_week % EXPIRY_RING_WEEKS]
            entry[0] = u128(entry[0] + stake.boost_weight)
            entry[1] = u64(entry[1] + stake.amount)
            self.locked_amount = u64(self.locked_amount + stake.amount)
            self.locked_end_sum = u128(self.locked_end_sum + stake.amount * stake.lock_end)

    def remove_stake(self, stake: StakePosition) -> None:
        self.total_weight = u128(self.total_weight - stake.weight)
        self.staked_amount = u64(self.staked_amount - stake.amount)
        if self._boost_running(stake):
            entry = self.expiring[week_of(stake.lock_end) % EXPIRY_RING_WEEKS]
            entry[0] = u128(entry[0] - stake.boost_weight)
            entry[1] = u64(entry[1] - stake.amount)
            self.locked_amount = u64(self.locked_amount - stake.amount)
            self.locked_end_sum = u128(self.locked_end_sum - stake.amount * stake.lock_end)

    def weighted_remaining_lock_sec(self, now: int) -> int:
        if self.locked_amount == 0:
            return 0
        return u64(max(self.locked_end_sum // self.locked_amount - now, 0))


def update_slots(split: RewardSplit, slots: Sequence[TrancheStakes], routed: int, junior_share_bps: int,
                 now: int) -> Pulled:
    """Takes in the routed rewards, processes every slot's weeks to now, distributes."""
    new_rewards = split.take(routed, junior_share_bps)
    now_week = week_of(now)
    returned, weeks = 0, 0
    for slot, new in zip(slots, new_rewards, strict=True):
        weeks = max(weeks, max(now_week - slot.last_week, 0))
        slot.process_weeks(now_week)
        returned = u64(returned + slot.distribute(new))
    return Pulled(new_rewards, returned, weeks)


def lock(slot: TrancheStakes, stake: StakePosition, amount: int, tier_index: int, tier: LockTier, now: int) -> int:
    """`math::staking::lock` (settles first; returns what the settle earned). Raises ZeroAmount,
    LockShortened, InvalidLockTier."""
    earned = slot.settle(stake)
    total = u64(stake.amount + amount)
    if total == 0:
        raise errors.ZeroAmount()
    running = stake.lock_end > now
    if running and tier_index < stake.tier:
        raise errors.LockShortened()
    tier_end = lock_end(now, tier.duration_days)
    end = max(stake.lock_end, tier_end) if running else tier_end
    slot.remove_stake(stake)
    if end > now:
        multiplier, weight = tier.multiplier_bps, lock_weight(total, tier.multiplier_bps)
    else:
        multiplier, weight = BPS_POWER, total
    stake.amount, stake.tier, stake.multiplier_bps, stake.lock_end = total, tier_index, multiplier, end
    stake.weight, stake.boost_weight = weight, u128(weight - total)
    slot.add_stake(stake)
    return earned


def unlock(slot: TrancheStakes, stake: StakePosition, amount: int, now: int) -> int:
    """`math::staking::unlock`. Raises ZeroAmount, StakeLocked, InsufficientStake."""
    earned = slot.settle(stake)
    if amount == 0:
        raise errors.ZeroAmount()
    if stake.lock_end > now:
        raise errors.StakeLocked()
    if amount > stake.amount:
        raise errors.InsufficientStake()
    slot.remove_stake(stake)
    stake.amount = stake.amount - amount
    stake.weight, stake.boost_weight = stake.amount, 0
    slot.add_stake(stake)
    return earned


def claim(slot: TrancheStakes, stake: StakePosition) -> int:
    """Settles and takes everything earned. Raises ZeroAmount."""
    slot.settle(stake)
    amount = stake.earned
    if amount == 0:
        raise errors.ZeroAmount()
    stake.earned = 0
    slot.claimed = u128(slot.claimed + amount)
    return amount


def validate_stake_config(tiers: Sequence[LockTier], junior_share_bps: int) -> None:
    """validation/config.rs `validate_stake_config`: raises InvalidStakeConfig."""
    def check(ok: bool) -> None:
        if not ok:
            raise errors.InvalidStakeConfig()

    check(junior_share_bps <= BPS_POWER)
    check(0 < len(tiers) <= MAX_LOCK_TIERS)
    previous: LockTier | None = None
    for tier in tiers:
        check(MIN_LOCK_DAYS <= tier.duration_days <= MAX_LOCK_DAYS)
        check(BPS_POWER <= tier.multiplier_bps <= MAX_LOCK_MULTIPLIER_BPS)
        if previous is not None:
            check(tier.duration_days > previous.duration_days)
            check(tier.multiplier_bps >= previous.multiplier_bps)
        previous = tier

