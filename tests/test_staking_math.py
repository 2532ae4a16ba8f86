"""Offline: the Python port of the staking math (perp_pool.math.staking) beyond the shared vectors:
its ring sizes are the program's, and over random histories of several stakers the books balance to
the unit (paid + claimable + dust + given back == routed), the custody's bucket always covers what
is claimable, and claiming more often never pays more."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from perp_pool import errors
from perp_pool.constants import DAY_SECONDS, WEEK_SECONDS
from perp_pool.math import staking

ROOT = Path(__file__).resolve().parents[1]
STAKING_RS = ROOT / "programs" / "perp_pool" / "src" / "math" / "staking.rs"
LADDER = [staking.LockTier(7, 10_000), staking.LockTier(30, 11_000), staking.LockTier(90, 15_000),
          staking.LockTier(180, 20_000), staking.LockTier(364, 30_000)]
T0 = 2_800 * WEEK_SECONDS + 12_345


def rust_usize(name: str) -> int:
    m = re.search(rf"pub const {name}: usize = (\d+);", STAKING_RS.read_text())
    assert m, name
    return int(m.group(1))


def test_ring_sizes_are_the_programs() -> None:
    assert staking.EXPIRY_RING_WEEKS == rust_usize("EXPIRY_RING_WEEKS")
    assert staking.INDEX_SNAPSHOT_WEEKS == rust_usize("INDEX_SNAPSHOT_WEEKS")
    assert staking.TRANCHE_SLOTS == rust_usize("TRANCHE_SLOTS")
    # A 364-day lock ends at most 53 boundaries ahead: the expiry ring never holds two weeks at once.
    assert staking.week_of(staking.lock_end(T0, 364)) - staking.week_of(T0) < staking.EXPIRY_RING_WEEKS


class Ledger:
    """Two open slots (even stakers junior, odd senior), driven as the program drives them."""

    def __init__(self, stakers: int) -> None:
        self.now, self.routed = T0, 0
        self.split = staking.RewardSplit(junior_share_bps=6_000)
        week = staking.week_of(T0)
        self.slots = [staking.TrancheStakes(week), staking.TrancheStakes(week)]
        self.stakes = [staking.StakePosition() for _ in range(stakers)]
        self.paid = [0] * stakers
        self.returned = 0
        self.settles = 0
        self.distributions = 0

    def update(self) -> None:
        p = staking.update_slots(self.split, self.slots, self.routed, self.split.junior_share_bps, self.now)
        self.returned += p.returned_to_lps
        self.distributions += sum(1 for n in p.new_rewards if n)

    def apply(self, op: tuple) -> None:
        saved = copy.deepcopy(self.__dict__)
        kind = op[0]
        try:
            if kind == "route":
                self.routed += op[1]
            elif kind == "warp":
                self.now += op[1]
            elif kind == "update":
                self.update()
            else:
                self.update()
                who = op[1]
                slot, stake = self.slots[who % 2], self.stakes[who]
                self.settles += 1
                if kind == "lock":
                    staking.lock(slot, stake, op[2], op[3], LADDER[op[3]], self.now)
                elif kind == "unlock":
                    staking.unlock(slot, stake, op[2], self.now)
                else:
                    self.paid[who] += staking.claim(slot, stake)
        except errors.PerpPoolError:
            self.__dict__ = saved

    def books(self) -> tuple[int, int]:
        """(claimable, dust) after settling everyone; asserts the books balance."""
        self.update()
        for who, stake in enumerate(self.stakes):
            self.slots[who % 2].settle(stake)
            self.settles += 1
        claimable = sum(s.earned for s in self.stakes)
        bucket = self.routed - sum(self.paid) - self.returned
        assert bucket >= claimable, "the bucket covers what is claimable"
        dust = bucket - claimable
        assert dust <= self.distributions + self.settles
        assert sum(self.paid) + claimable + dust + self.returned == self.routed
        for s in range(2):
            slot = self.slots[s]
            assert slot.claimed == sum(self.paid[w] for w in range(len(self.stakes)) if w % 2 == s)
            assert slot.staked_amount == sum(self.stakes[w].amount for w in range(len(self.stakes)) if w % 2 == s)
        return claimable, dust


STAKERS = 4
ops = st.one_of(
    st.tuples(st.just("route"), st.integers(1, 5_000_000)),
    st.tuples(st.just("update")),
    st.tuples(st.just("warp"), st.integers(1, 4 * WEEK_SECONDS)),
    st.tuples(st.just("lock"), st.integers(0, STAKERS - 1), st.integers(0, 2_000_000), st.integers(0, 4)),
    st.tuples(st.just("unlock"), st.integers(0, STAKERS - 1), st.integers(1, 2_000_000)),
    st.tuples(st.just("claim"), st.integers(0, STAKERS - 1)),
)


@settings(max_examples=150, deadline=None)
@given(history=st.lists(ops, min_size=1, max_size=50))
def test_the_books_balance_to_the_unit(history: list[tuple]) -> None:
    ledger = Ledger(STAKERS)
    for op in history:
        ledger.apply(op)
    ledger.books()


@settings(max_examples=100, deadline=None)
@given(history=st.lists(ops.filter(lambda o: o[0] != "claim"), min_size=1, max_size=30))
def test_claiming_often_pays_no_more(history: list[tuple]) -> None:
    once, often = Ledger(STAKERS), Ledger(STAKERS)
    for op in history:
        for ledger in (once, often):
            ledger.apply(op)
            ledger.apply(("update",))
        for who in range(STAKERS):
            often.apply(("claim", who))
    once.books()
    often.books()
    for who in range(STAKERS):
        assert often.paid[who] + often.stakes[who].earned <= once.paid[who] + once.stakes[who].earned


def test_a_lock_ends_on_a_week_boundary_at_least_its_duration_later() -> None:
    for now in (T0, T0 - 12_345, T0 + WEEK_SECONDS - 1):
        for tier in LADDER[1:]:
            end = staking.lock_end(now, tier.duration_days)
            assert end % WEEK_SECONDS == 0
            assert now + tier.duration_days * DAY_SECONDS <= end < now + tier.duration_days * DAY_SECONDS + WEEK_SECONDS
