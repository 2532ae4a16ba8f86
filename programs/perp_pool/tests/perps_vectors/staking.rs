//! Part of the `perps_vectors` test binary (see main.rs): the LP staking sections
//! (math/staking.rs and the ladder check of validation/config.rs), seeds and runner.
//!
//! `stake_sequence` runs a whole history the way the program runs it: every lock, unlock and
//! claim updates the stake pool first; a refused step changes nothing. u128 values are decimal
//! strings (indexes exceed 2^64).

#[allow(unused_imports)]
use super::*;
use perp_pool::{
    constants::{DAY_SECONDS, WEEK_SECONDS},
    math::staking::{self, RewardSplit, StakePosition, TrancheStakes},
    types::LockTier,
    validation::config::validate_stake_config,
};

/// A Thursday 00:00 UTC (week 2_800).
const T0: i64 = 2_800 * WEEK_SECONDS;

fn big(v: u128) -> Value {
    json!(v.to_string())
}

fn ladder(c: &Value) -> Vec<LockTier> {
    field(c, "ladder")
        .as_array()
        .expect("ladder")
        .iter()
        .map(|t| LockTier {
            duration_days: u16::try_from(u(t, "duration_days")).expect("u16"),
            multiplier_bps: u32::try_from(u(t, "multiplier_bps")).expect("u32"),
        })
        .collect()
}

fn ladder_json(tiers: &[(u16, u32)]) -> Value {
    Value::Array(
        tiers
            .iter()
            .map(|(d, m)| json!({"duration_days": d, "multiplier_bps": m}))
            .collect(),
    )
}

fn example_ladder() -> Value {
    ladder_json(&[
        (7, 10_000),
        (30, 11_000),
        (90, 15_000),
        (180, 20_000),
        (364, 30_000),
    ])
}

fn slot_json(s: &TrancheStakes) -> Value {
    let (staked, locked, week) = (s.staked_amount, s.locked_amount, s.last_week);
    json!({
        "staked_amount": staked,
        "total_weight": big(s.total_weight),
        "reward_index": big(s.reward_index),
        "entitled": big(s.entitled),
        "returned_to_lps": big(s.returned_to_lps),
        "claimed": big(s.claimed),
        "locked_amount": locked,
        "locked_end_sum": big(s.locked_end_sum),
        "last_week": week,
    })
}

fn stake_json(s: &StakePosition) -> Value {
    json!({
        "amount": s.amount,
        "tier": s.tier,
        "multiplier_bps": s.multiplier_bps,
        "lock_end": s.lock_end,
        "weight": big(s.weight),
        "boost_weight": big(s.boost_weight),
        "index_snapshot": big(s.index_snapshot),
        "earned": s.earned,
    })
}

fn error_or<T>(r: anchor_lang::Result<T>, ok: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(anchor_lang::error::Error::AnchorError(e)) => json!({"error": e.error_name}),
        Err(other) => json!({"error": format!("{other:?}")}),
    }
}

/// A stake pool with both slots open; `slots[i]` of staker `i` is `slot_of[i]`.
struct Ledger {
    now: i64,
    routed: u128,
    split: RewardSplit,
    slots: Box<[TrancheStakes; 2]>,
    stakes: Vec<StakePosition>,
    slot_of: Vec<usize>,
    paid: Vec<u64>,
    ladder: Vec<LockTier>,
}

impl Ledger {
    fn update(&mut self) -> anchor_lang::Result<staking::Pulled> {
        let share = self.split.junior_share_bps;
        staking::update_slots(
            &mut self.split,
            &mut self.slots,
            self.routed,
            share,
            self.now,
        )
    }

    fn step(&mut self, op: &Value) -> anchor_lang::Result<Value> {
        let who = || usize::try_from(u(op, "who")).expect("who");
        match field(op, "op").as_str().expect("op") {
            "route" => {
                self.routed += uu(op, "amount");
                Ok(json!({}))
            }
            "warp" => {
                self.now += i(op, "seconds");
                Ok(json!({}))
            }
            "update" => {
                let p = self.update()?;
                Ok(json!({"new_rewards": p.new_rewards, "returned_to_lps": p.returned_to_lps}))
            }
            "share" => {
                self.update()?;
                let share = self.split.junior_share_bps;
                self.split.rebase(share)?;
                self.split.junior_share_bps = u(op, "bps");
                Ok(json!({}))
            }
            "lock" => {
                let (w, tier) = (who(), u8::try_from(u(op, "tier")).expect("tier"));
                let t = *self.ladder.get(usize::from(tier)).ok_or_else(|| {
                    anchor_lang::error!(perp_pool::errors::PerpPoolError::InvalidLockTier)
                })?;
                self.update()?;
                let earned = staking::lock(
                    &mut self.slots[self.slot_of[w]],
                    &mut self.stakes[w],
                    u(op, "amount"),
                    tier,
                    t,
                    self.now,
                )?;
                Ok(json!({"earned": earned}))
            }
            "unlock" => {
                let w = who();
                self.update()?;
                let earned = staking::unlock(
                    &mut self.slots[self.slot_of[w]],
                    &mut self.stakes[w],
                    u(op, "amount"),
                    self.now,
                )?;
                Ok(json!({"earned": earned}))
            }
            "claim" => {
                let w = who();
                self.update()?;
                let paid = staking::claim(&mut self.slots[self.slot_of[w]], &mut self.stakes[w])?;
                self.paid[w] += paid;
                Ok(json!({"paid": paid}))
            }
            other => panic!("op {other}"),
        }
    }
}

fn sequence(c: &Value) -> Value {
    let slot_of: Vec<usize> = field(c, "stakers")
        .as_array()
        .expect("stakers")
        .iter()
        .map(|s| usize::try_from(s.as_u64().expect("slot")).expect("slot"))
        .collect();
    let n = slot_of.len();
    let week = staking::week_of(T0).expect("week");
    let mut ledger = Ledger {
        now: T0,
        routed: 0,
        split: RewardSplit {
            junior_share_bps: u(c, "junior_share_bps"),
            ..RewardSplit::default()
        },
        slots: Box::new([TrancheStakes::new(week), TrancheStakes::new(week)]),
        stakes: vec![StakePosition::default(); n],
        slot_of,
        paid: vec![0; n],
        ladder: ladder(c),
    };
    let mut results = vec![];
    for op in field(c, "ops").as_array().expect("ops") {
        let (split, slots, stakes, paid) = (
            ledger.split,
            ledger.slots.clone(),
            ledger.stakes.clone(),
            ledger.paid.clone(),
        );
        let r = ledger.step(op);
        if r.is_err() {
            // A refused instruction changes nothing (the clock and routed counter are not state
            // an instruction changes, and neither op that moves them can fail).
            ledger.split = split;
            ledger.slots = slots;
            ledger.stakes = stakes;
            ledger.paid = paid;
        }
        results.push(error_or(r, |v| v));
    }
    json!({
        "results": results,
        "pulled_routed": big(ledger.split.pulled_routed),
        "slots": ledger.slots.iter().map(slot_json).collect::<Vec<_>>(),
        "stakes": ledger.stakes.iter().map(stake_json).collect::<Vec<_>>(),
        "paid": ledger.paid,
    })
}

/// The runner of a staking section, None for any other section.
pub(crate) fn run(section: &str, c: &Value) -> Option<anchor_lang::Result<Value>> {
    Some(match section {
        "stake_lock_end" => staking::lock_end(
            i(c, "now"),
            u16::try_from(u(c, "duration_days")).expect("u16"),
        )
        .map(|v| json!(v)),
        "stake_weight" => staking::lock_weight(
            u(c, "amount"),
            u32::try_from(u(c, "multiplier_bps")).expect("u32"),
        )
        .map(big),
        "stake_split" => {
            let mut split = RewardSplit::default();
            let share = u(c, "junior_share_bps");
            let mut out = vec![];
            for routed in field(c, "routed").as_array().expect("routed") {
                let routed = u128::from(routed.as_u64().expect("u64"));
                out.push(error_or(split.take(routed, share), |p| json!(p)));
            }
            Ok(json!(out))
        }
        "stake_ladder" => {
            validate_stake_config(&ladder(c), u(c, "junior_share_bps")).map(|()| Value::Null)
        }
        "stake_sequence" => Ok(sequence(c)),
        _ => return None,
    })
}

/// The seed cases of the staking sections.
pub(crate) fn seed(named: impl Fn(&str, Value) -> Value) -> Value {
    let week = WEEK_SECONDS;
    let day = DAY_SECONDS;
    let lock = |who: u64, amount: u64, tier: u64| json!({"op": "lock", "who": who, "amount": amount, "tier": tier});
    let unlock = |who: u64, amount: u64| json!({"op": "unlock", "who": who, "amount": amount});
    let claim = |who: u64| json!({"op": "claim", "who": who});
    let route = |amount: u64| json!({"op": "route", "amount": amount});
    let warp = |seconds: i64| json!({"op": "warp", "seconds": seconds});
    let update = || json!({"op": "update"});
    let ladder_case = |name: &str, tiers: &[(u16, u32)], share: u64| {
        named(
            name,
            json!({"ladder": ladder_json(tiers), "junior_share_bps": share}),
        )
    };
    let seq = |name: &str, stakers: Value, share: u64, ops: Vec<Value>| {
        named(
            name,
            json!({"ladder": example_ladder(), "junior_share_bps": share, "stakers": stakers, "ops": ops}),
        )
    };
    json!({
        "stake_lock_end": [
            named("no_lock", json!({"now": T0, "duration_days": 0})),
            named("on_a_boundary", json!({"now": T0, "duration_days": 7})),
            named("just_after_a_boundary", json!({"now": T0 + 1, "duration_days": 7})),
            named("thirty_days", json!({"now": T0 + 3 * day, "duration_days": 30})),
            named("longest_from_the_end_of_a_week", json!({"now": T0 + week - 1, "duration_days": 364})),
            named("before_1970", json!({"now": -week, "duration_days": 1})),
        ],
        "stake_weight": [
            named("one_and_a_half", json!({"amount": 1_000, "multiplier_bps": 15_000})),
            named("floor", json!({"amount": 3, "multiplier_bps": 15_000})),
            named("dust_has_no_boost", json!({"amount": 1, "multiplier_bps": 19_999})),
            named("largest", json!({"amount": u64::MAX, "multiplier_bps": 100_000})),
        ],
        "stake_split": [
            named("thirds_are_cumulative", json!({"junior_share_bps": 3_333, "routed": [10, 20, 21, 30, 1_000_000_007u64]})),
            named("all_junior", json!({"junior_share_bps": 10_000, "routed": [5, 9]})),
            named("all_senior", json!({"junior_share_bps": 0, "routed": [5, 9]})),
            named("going_backwards", json!({"junior_share_bps": 5_000, "routed": [10, 9]})),
        ],
        "stake_ladder": [
            ladder_case("example", &[(7, 10_000), (30, 11_000), (90, 15_000), (180, 20_000), (364, 30_000)], 6_500),
            ladder_case("one_tier", &[(7, 10_000)], 0),
            ladder_case("ten_x_for_a_year", &[(364, 100_000)], 10_000),
            ladder_case("empty", &[], 5_000),
            ladder_case("six_tiers", &[(1, 10_000), (2, 10_000), (3, 10_000), (4, 10_000), (5, 10_000), (6, 10_000)], 5_000),
            ladder_case("longer_than_364_days", &[(365, 20_000)], 5_000),
            ladder_case("below_1x", &[(30, 9_999)], 5_000),
            ladder_case("above_10x", &[(30, 100_001)], 5_000),
            ladder_case("one_day_at_1x", &[(1, 10_000), (7, 10_000)], 5_000),
            ladder_case("zero_days", &[(0, 10_000), (30, 11_000)], 5_000),
            ladder_case("zero_days_with_a_boost", &[(0, 10_001)], 5_000),
            ladder_case("durations_not_increasing", &[(30, 11_000), (30, 12_000)], 5_000),
            ladder_case("multipliers_decreasing", &[(30, 12_000), (60, 11_000)], 5_000),
            ladder_case("share_over_100_percent", &[(30, 12_000)], 10_001),
        ],
        "stake_sequence": [
            seq("one_staker_floor", json!([0]), 10_000, vec![lock(0, 3, 0), route(10), update(), claim(0), claim(0)]),
            seq("boost_ends_at_the_boundary", json!([0, 0]), 10_000, vec![
                lock(0, 1_000, 0), lock(1, 1_000, 1), route(2_100_000), warp(5 * week - 1), update(),
                route(2_000_000), warp(1), update(), claim(0), claim(1),
                lock(1, 0, 0), unlock(1, 1), warp(2 * week), unlock(1, 1), warp(1), unlock(1, 1_000), claim(1),
            ]),
            seq("no_weight_goes_back_and_a_late_staker_gets_none", json!([0, 0]), 10_000, vec![
                route(500), lock(0, 100, 2), route(700), lock(1, 10_000, 0), route(1_000),
                update(), claim(0), claim(1),
            ]),
            seq("two_slots_and_a_share_change", json!([0, 1, 0, 1]), 6_000, vec![
                lock(0, 1_000_000, 4), lock(1, 2_000_000, 2), route(3_333_333), lock(2, 500_000, 3),
                warp(13 * week), route(1_234_567), json!({"op": "share", "bps": 2_500}), route(999_999),
                lock(3, 10, 0), lock(1, 5, 1), warp(40 * week), route(7_777_777), claim(0), claim(1),
                claim(2), claim(3), unlock(0, 1), warp(20 * week), unlock(0, 1_000_000), claim(0),
                lock(2, 0, 4), lock(2, 0, 4), lock(3, 1, 5),
            ]),
            seq("an_idle_year_then_everything", json!([0, 0, 0]), 10_000, vec![
                lock(0, 123_456, 4), lock(1, 654_321, 3), lock(2, 1, 1), route(10_000_001),
                warp(60 * week), route(20_000_003), update(), claim(0), claim(1), claim(2), unlock(2, 1),
            ]),
        ],
    })
}
