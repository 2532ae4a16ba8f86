use {
    super::*,
    crate::math::{
        liquidity::{compute_add_liquidity, compute_remove_liquidity},
        oracle::OraclePrice,
    },
    proptest::prelude::*,
};

const USDC_1: OraclePrice = OraclePrice {
    price: 100_000_000,
    exponent: -8,
};

fn terms(rate_bps: u32) -> SeniorTerms {
    SeniorTerms {
        index: SENIOR_INDEX_POWER,
        index_time: 1_000,
        rate_bps,
    }
}

#[test]
fn senior_index_grows_linearly_at_the_rate() {
    let t = terms(1_000); // 10 % a year
    assert_eq!(
        senior_index(&t, 1_000, Rounding::Floor).unwrap(),
        SENIOR_INDEX_POWER
    );
    let year = 1_000 + YEAR_SECONDS;
    assert_eq!(
        senior_index(&t, year, Rounding::Floor).unwrap(),
        SENIOR_INDEX_POWER * 11 / 10
    );
    // Half a year: exactly 5 %.
    assert_eq!(
        senior_index(&t, 1_000 + YEAR_SECONDS / 2, Rounding::Floor).unwrap(),
        SENIOR_INDEX_POWER * 105 / 100
    );
    // One second: 10^12 * 0.1 / 31_536_000 = 3170.97...: floor and ceil differ by one unit.
    assert_eq!(
        senior_index(&t, 1_001, Rounding::Floor).unwrap(),
        SENIOR_INDEX_POWER + 3_170
    );
    assert_eq!(
        senior_index(&t, 1_001, Rounding::Ceil).unwrap(),
        SENIOR_INDEX_POWER + 3_171
    );
    // A clock before the index time counts as no time.
    assert_eq!(
        senior_index(&t, 0, Rounding::Ceil).unwrap(),
        SENIOR_INDEX_POWER
    );
    // Rate 0: flat.
    assert_eq!(
        senior_index(&terms(0), year, Rounding::Ceil).unwrap(),
        SENIOR_INDEX_POWER
    );
}

#[test]
fn cascade_takes_junior_first_then_senior_and_gains_refill_senior_first() {
    // A = 1,000 USD, senior target 800: junior 200.
    let target = 800_000_000;
    assert_eq!(
        split_navs(1_000_000_000, target),
        TrancheNavs {
            junior_usd: 200_000_000,
            senior_usd: 800_000_000
        }
    );
    // A loss of 150: junior 50, senior untouched.
    assert_eq!(split_navs(850_000_000, target).senior_usd, target);
    assert_eq!(split_navs(850_000_000, target).junior_usd, 50_000_000);
    // A loss of 300: junior 0, senior 700.
    assert_eq!(
        split_navs(700_000_000, target),
        TrancheNavs {
            junior_usd: 0,
            senior_usd: 700_000_000
        }
    );
    // Gains of 150 from there: senior refilled to its target first, then junior 50.
    assert_eq!(split_navs(850_000_000, target).junior_usd, 50_000_000);
    assert_eq!(split_navs(0, target).senior_usd, 0);
}

#[test]
fn stress_draws_insurance_then_junior_then_senior() {
    // A 1,000, target 800, insurance 30.
    let out = stress(1_000_000_000, 800_000_000, 30_000_000, 0, 100_000_000).unwrap();
    assert_eq!(out.insurance_draw_usd, 30_000_000);
    assert_eq!(out.insurance_after_usd, 0);
    assert_eq!(out.junior_loss_usd, 70_000_000);
    assert_eq!(out.senior_loss_usd, 0);
    // A trader profit of 250 on top of it: junior wiped (200), senior loses 50.
    let out = stress(1_000_000_000, 800_000_000, 0, 250_000_000, 0).unwrap();
    assert_eq!(out.junior_loss_usd, 200_000_000);
    assert_eq!(out.senior_loss_usd, 50_000_000);
    assert_eq!(out.navs_after.senior_usd, 750_000_000);
    // More than the pool: both to zero, no underflow.
    let out = stress(1_000_000_000, 800_000_000, 0, u128::from(u64::MAX), 0).unwrap();
    assert_eq!(out.navs_after, TrancheNavs::default());
}

#[test]
fn coverage_is_an_exact_comparison() {
    // Senior at most 4x junior.
    assert!(coverage_holds(400, 100, 40_000).unwrap());
    assert!(!coverage_holds(401, 100, 40_000).unwrap());
    assert!(coverage_holds(0, 0, 40_000).unwrap());
    assert!(!coverage_holds(1, 0, 40_000).unwrap());
    let navs = TrancheNavs {
        junior_usd: 3,
        senior_usd: 10,
    };
    assert_eq!(senior_to_junior_bps(&navs).unwrap(), 33_333);
    assert_eq!(
        senior_to_junior_bps(&TrancheNavs {
            junior_usd: 0,
            senior_usd: 1
        })
        .unwrap(),
        u64::MAX
    );
}

#[test]
fn rounding_values_the_priced_tranche_in_the_pools_favour() {
    // One second at 10 %: the index is fractional, so the target rounds both ways.
    let t = terms(1_000);
    let supply = 1_000_000_000_000; // 10^6 whole senior LP
    let aum = 10_000_000_000_000u128;
    let senior_high = tranche_navs(aum, &t, supply, 1_001, Tranche::Senior, AumMode::Max).unwrap();
    let senior_low = tranche_navs(aum, &t, supply, 1_001, Tranche::Senior, AumMode::Min).unwrap();
    assert!(senior_high.senior_usd > senior_low.senior_usd);
    let junior_high = tranche_navs(aum, &t, supply, 1_001, Tranche::Junior, AumMode::Max).unwrap();
    let junior_low = tranche_navs(aum, &t, supply, 1_001, Tranche::Junior, AumMode::Min).unwrap();
    assert!(junior_high.junior_usd > junior_low.junior_usd);
}

#[test]
fn an_empty_senior_tranche_is_priced_at_its_index_not_at_one_usd() {
    let t = terms(1_000);
    let navs = split_navs(1_000_000_000, 0);
    let year = 1_000 + YEAR_SECONDS;
    let price = tranche_price(&navs, &t, 0, year, Tranche::Senior, AumMode::Max).unwrap();
    // 1,100 USD buys 1,000 senior LP a year after the index started at 1 USD.
    let amounts =
        compute_add_liquidity(1_100_000_000, 6, USDC_1, price.nav_usd, price.supply, 0, 0).unwrap();
    assert_eq!(amounts.lp_amount_out, 1_000_000_000);
    assert_eq!(amounts.dead_lp_amount, 0);
}

/// Review R1: one unit of senior supply used to price the next deposit at ceil(1 * I) / 1 =
/// 2 micro-USD per unit a second after creation (I = 1.000000003): a 100,000 USD deposit got a
/// claim of 50,000 and the junior kept the rest. A covered senior is priced at its index whatever
/// its supply.
#[test]
fn a_dust_senior_supply_prices_the_next_deposit_at_the_index() {
    let t = terms(1_000);
    let now = 1_001;
    let mut m = Model {
        aum: 100_000_000_000,
        junior_supply: 100_000_000_000,
        senior_supply: 0,
    };
    assert_eq!(deposit(&mut m, &t, now, Tranche::Senior, 2), Some(1));
    let lp = deposit(&mut m, &t, now, Tranche::Senior, 100_000_000_000).unwrap();
    let claim = senior_target_usd(
        lp,
        senior_index(&t, now, Rounding::Floor).unwrap(),
        Rounding::Floor,
    )
    .unwrap();
    // At most one unit lost to each of the two index roundings.
    assert!(
        claim + 2 >= 100_000_000_000,
        "claim {claim} for 100,000 USD"
    );
    assert!(claim <= 100_000_000_000);
}

/// Review R3: a junior LP worth less than MIN_JUNIOR_LP_PRICE_USD is not issued (a deposit
/// against a dust NAV would mint most of the u64 supply).
#[test]
fn junior_below_the_price_floor_is_not_issuable() {
    // 10^6 whole LP (10^12 base units) need a NAV of 1,000 USD (0.001 USD each).
    assert!(junior_issuable(1_000_000_000, 1_000_000_000_000).unwrap());
    assert!(!junior_issuable(999_999_999, 1_000_000_000_000).unwrap());
    assert!(!junior_issuable(0, 1).unwrap());
    assert!(junior_issuable(0, 0).unwrap());
}

/// A model pool: AUM and the two tranches' supplies (junior supply includes dead shares).
#[derive(Clone, Copy, Debug)]
struct Model {
    aum: u128,
    junior_supply: u64,
    senior_supply: u64,
}

fn deposit(m: &mut Model, t: &SeniorTerms, now: i64, tranche: Tranche, usd: u64) -> Option<u64> {
    let navs = tranche_navs(m.aum, t, m.senior_supply, now, tranche, AumMode::Max).ok()?;
    let supply = match tranche {
        Tranche::Junior => m.junior_supply,
        Tranche::Senior => m.senior_supply,
    };
    let price = tranche_price(&navs, t, supply, now, tranche, AumMode::Max).ok()?;
    let out = compute_add_liquidity(usd, 6, USDC_1, price.nav_usd, price.supply, 0, 0).ok()?;
    m.aum += u128::from(usd);
    match tranche {
        Tranche::Junior => m.junior_supply += out.lp_amount_out + out.dead_lp_amount,
        Tranche::Senior => m.senior_supply += out.lp_amount_out,
    }
    Some(out.lp_amount_out)
}

fn withdraw(m: &mut Model, t: &SeniorTerms, now: i64, tranche: Tranche, lp: u64) -> Option<u64> {
    let navs = tranche_navs(m.aum, t, m.senior_supply, now, tranche, AumMode::Min).ok()?;
    let supply = match tranche {
        Tranche::Junior => m.junior_supply,
        Tranche::Senior => m.senior_supply,
    };
    let out =
        compute_remove_liquidity(lp, navs.of(tranche), supply, 6, USDC_1, u64::MAX, 0, 0).ok()?;
    m.aum -= u128::from(out.amount_out);
    match tranche {
        Tranche::Junior => m.junior_supply -= lp,
        Tranche::Senior => m.senior_supply -= lp,
    }
    Some(out.amount_out)
}

/// NAV per unit of each tranche, as an exact fraction compared by cross-multiplication.
fn per_unit_not_lower(before: (u128, u64), after: (u128, u64)) -> bool {
    // after.nav / after.supply >= before.nav / before.supply
    after.0 * u128::from(before.1) >= before.0 * u128::from(after.1)
}

fn navs_exact(m: &Model, t: &SeniorTerms, now: i64) -> TrancheNavs {
    // Exact-index comparison at a time where the index is whole (index_time or whole years).
    tranche_navs(
        m.aum,
        t,
        m.senior_supply,
        now,
        Tranche::Junior,
        AumMode::Max,
    )
    .unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Deposit(Tranche, u64),
    Withdraw(Tranche, u16),
    /// The pool gains (trader losses, fees) or loses (trader profits, bad debt) this much.
    Gain(u64),
    Loss(u64),
}

fn tranche_strategy() -> impl Strategy<Value = Tranche> {
    prop_oneof![Just(Tranche::Junior), Just(Tranche::Senior)]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (tranche_strategy(), 1u64..=1_000_000_000_000).prop_map(|(t, a)| Op::Deposit(t, a)),
        (tranche_strategy(), 1u16..=10_000).prop_map(|(t, bps)| Op::Withdraw(t, bps)),
        (0u64..=1_000_000_000_000).prop_map(Op::Gain),
        (0u64..=1_000_000_000_000).prop_map(Op::Loss),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// `junior + senior == aum` and the cascade order, for any AUM and target.
    #[test]
    fn navs_always_sum_to_aum(aum in any::<u64>(), target in any::<u64>()) {
        let navs = split_navs(u128::from(aum), u128::from(target));
        prop_assert_eq!(navs.junior_usd + navs.senior_usd, u128::from(aum));
        prop_assert!(navs.senior_usd <= u128::from(target));
        prop_assert!(navs.junior_usd == 0 || navs.senior_usd == u128::from(target));
    }

    /// Path independence: the NAVs after a set of gains and losses depend only on the net, not
    /// on their order (no checkpoint books a swing between the tranches).
    #[test]
    fn gains_and_losses_in_any_order_give_the_same_navs(
        start in 0u64..=1_000_000_000_000,
        target in 0u64..=1_000_000_000_000,
        moves in proptest::collection::vec(-1_000_000_000i64..=1_000_000_000, 1..12),
        seed in any::<u64>(),
    ) {
        // Moves that keep the AUM non-negative in the given order and the shuffled one.
        let total: i128 = moves.iter().map(|&m| i128::from(m)).sum();
        let end = i128::from(start) + total;
        prop_assume!(end >= 0);
        let mut shuffled = moves.clone();
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let run = |seq: &[i64]| -> Option<TrancheNavs> {
            let mut aum = i128::from(start);
            for &m in seq {
                aum += i128::from(m);
                if aum < 0 { return None; }
            }
            Some(split_navs(aum as u128, u128::from(target)))
        };
        if let (Some(a), Some(b)) = (run(&moves), run(&shuffled)) {
            prop_assert_eq!(a, b);
        }
    }

    /// Sequences of deposits and redemptions in both tranches, pool gains and losses and time:
    /// a deposit or redemption in one tranche never lowers the NAV per unit of either tranche's
    /// holders (the depositor is valued at max, the leaver at min, each at its own tranche's
    /// NAV), and junior + senior NAV is the AUM after every step.
    #[test]
    fn liquidity_in_one_tranche_never_costs_the_other(
        rate_bps in 0u32..=5_000,
        ops in proptest::collection::vec((op_strategy(), 0i64..=30 * 86_400), 1..24),
    ) {
        let t = SeniorTerms { index: SENIOR_INDEX_POWER, index_time: 0, rate_bps };
        let mut m = Model { aum: 0, junior_supply: 0, senior_supply: 0 };
        let mut now = 0i64;
        for (op, dt) in ops {
            now += dt;
            let before = navs_exact(&m, &t, now);
            let prior = m;
            match op {
                Op::Gain(x) => { m.aum += u128::from(x); continue; }
                Op::Loss(x) => { m.aum = m.aum.saturating_sub(u128::from(x)); continue; }
                Op::Deposit(tranche, usd) => {
                    let covered = tranche == Tranche::Senior
                        && before.senior_usd * SENIOR_INDEX_POWER
                            >= u128::from(m.senior_supply) * senior_index(&t, now, Rounding::Ceil).unwrap();
                    let Some(lp) = deposit(&mut m, &t, now, tranche, usd) else { m = prior; continue; };
                    if covered {
                        // What the depositor gets is worth what it paid, less the roundings: one unit of LP
                        // (under 2 micro-USD at an index under 2), the claim's floor, and the index
                        // rounded up to price the deposit but down to value the claim (1 per 10^12 units).
                        let claim = senior_target_usd(lp, senior_index(&t, now, Rounding::Floor).unwrap(), Rounding::Floor).unwrap();
                        let slack = 3 + u128::from(lp) / SENIOR_INDEX_POWER;
                        prop_assert!(claim <= u128::from(usd) && claim + slack >= u128::from(usd),
                            "senior deposit of {} got a claim of {}", usd, claim);
                    }
                }
                Op::Withdraw(tranche, bps) => {
                    let supply = match tranche { Tranche::Junior => m.junior_supply, Tranche::Senior => m.senior_supply };
                    let lp = (u128::from(supply) * u128::from(bps) / 10_000) as u64;
                    if withdraw(&mut m, &t, now, tranche, lp).is_none() { m = prior; continue; }
                }
            }
            let after = navs_exact(&m, &t, now);
            prop_assert_eq!(after.junior_usd + after.senior_usd, m.aum);
            let (this, other) = match op {
                Op::Deposit(tr, _) | Op::Withdraw(tr, _) => (tr, match tr { Tranche::Junior => Tranche::Senior, Tranche::Senior => Tranche::Junior }),
                _ => unreachable!(),
            };
            // The other tranche's NAV: unchanged or higher (the rounding stays in the pool).
            prop_assert!(after.of(other) >= before.of(other),
                "{:?}: {:?} NAV went from {} to {}", op, other, before.of(other), after.of(other));
            // The acting tranche's other holders: NAV per unit not lower.
            let supply = |m: &Model| match this { Tranche::Junior => m.junior_supply, Tranche::Senior => m.senior_supply };
            // The senior NAV is floor(supply * index): one unit of it is the target's rounding,
            // not value (the senior's value per unit is the index while covered).
            let slack = u128::from(this == Tranche::Senior);
            if supply(&prior) > 0 && supply(&m) > 0 {
                prop_assert!(per_unit_not_lower((before.of(this), supply(&prior)), (after.of(this) + slack, supply(&m))),
                    "{:?}: {:?} NAV per unit fell: {}/{} -> {}/{}", op, this, before.of(this), supply(&prior), after.of(this), supply(&m));
            }
        }
    }
}
