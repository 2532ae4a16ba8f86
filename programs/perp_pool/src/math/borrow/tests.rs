use {super::*, proptest::prelude::*};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

// Reference values: slope1 0.00008/h, slope2 0.00012/h, optimal 80 %.
fn rate(u: u64) -> u64 {
    borrow_rate(u, 0, 80_000, 120_000, 800_000_000).unwrap()
}

#[test]
fn utilization_floors_and_is_zero_without_liquidity() {
    assert_eq!(utilization(0, 0).unwrap(), 0);
    assert_eq!(utilization(5, 0).unwrap(), 0);
    assert_eq!(utilization(1, 3).unwrap(), 333_333_333);
    assert_eq!(utilization(3, 3).unwrap(), 1_000_000_000);
}

#[test]
fn two_slope_rate_reference_values() {
    assert_eq!(rate(0), 0);
    assert_eq!(rate(400_000_000), 40_000);
    assert_eq!(rate(800_000_000), 80_000);
    assert_eq!(rate(900_000_000), 140_000);
    assert_eq!(rate(1_000_000_000), 200_000);
    assert_eq!(borrow_rate(1, 7, 80_000, 120_000, 800_000_000).unwrap(), 7);
    // optimal 0: always on the second slope
    assert_eq!(borrow_rate(500_000_000, 1, 2, 100, 0).unwrap(), 53);
}

#[test]
fn rate_rejects_optimal_at_100_percent() {
    assert!(err_is(
        borrow_rate(0, 0, 1, 1, 1_000_000_000),
        "InvalidCustodyConfig"
    ));
}

#[test]
fn accrual_is_rate_times_seconds_exactly() {
    // One hour at 80_000/h: 80_000 * 3_600 index units (RATE_DECIMALS x seconds).
    assert_eq!(
        accrued_cumulative_interest(0, 80_000, 0, 3_600).unwrap(),
        288_000_000
    );
    // 1 s at 80_000/h adds 80_000 (22.2 in the old per-hour units): nothing is dropped.
    assert_eq!(
        accrued_cumulative_interest(5, 80_000, 10, 11).unwrap(),
        80_005
    );
    // Clock behind the last update: nothing accrues.
    assert_eq!(accrued_cumulative_interest(5, 80_000, 10, 9).unwrap(), 5);
    assert_eq!(accrued_cumulative_interest(5, 80_000, 10, 10).unwrap(), 5);
    assert_eq!(interest_index_power().unwrap(), 3_600_000_000_000);
}

/// Finding 2: accruing every second yields the same index as accruing once. At 10 %
/// utilisation the reference curve charges 10_000/h (0.001 %/h), i.e. 2.78 per second in the old
/// per-hour index: the old floor dropped 72 % of it when accrued every second.
#[test]
fn accrual_schedule_does_not_change_interest() {
    let r = rate(100_000_000);
    assert_eq!(r, 10_000);
    let mut every_second = 0u128;
    for t in 0..3_600i64 {
        every_second = accrued_cumulative_interest(every_second, r, t, t + 1).unwrap();
    }
    let once = accrued_cumulative_interest(0, r, 0, 3_600).unwrap();
    assert_eq!(every_second, once);
    // 1_000 USD for an hour at 0.001 %/h: 0.01 USD.
    assert_eq!(
        position_interest_usd(once, 0, 1_000_000_000).unwrap(),
        10_000
    );
    // Below 3.6 % utilisation (rate < 3_600/h) the old index never moved when accrued every
    // second; now 1 % utilisation (1_000/h) still owes 1_000 USD * 0.0001 % = 0.001 USD an hour.
    let r = rate(10_000_000);
    assert_eq!(r, 1_000);
    let mut index = 0u128;
    for t in 0..3_600i64 {
        index = accrued_cumulative_interest(index, r, t, t + 1).unwrap();
    }
    assert_eq!(
        position_interest_usd(index, 0, 1_000_000_000).unwrap(),
        1_000
    );
}

#[test]
fn position_interest_rounds_up() {
    // 1_000 USD at an index increase of one hour at 80_000/h (0.008 %) = 0.08 USD
    assert_eq!(
        position_interest_usd(100_000 + 288_000_000, 100_000, 1_000_000_000).unwrap(),
        80_000
    );
    // The smallest index step on a micro-USD rounds up to a micro-USD.
    assert_eq!(position_interest_usd(1, 0, 1).unwrap(), 1);
    // One index unit on 3_600_000 USD: exactly 1 micro-USD; one more micro-USD of size: 2.
    assert_eq!(position_interest_usd(1, 0, 3_600_000_000_000).unwrap(), 1);
    assert_eq!(position_interest_usd(1, 0, 3_600_000_000_001).unwrap(), 2);
    assert_eq!(position_interest_usd(7, 7, 1_000_000_000).unwrap(), 0);
    assert!(err_is(position_interest_usd(1, 2, 1), "MathOverflow"));
}

#[test]
fn aggregate_interest_matches_sum_of_positions_within_rounding() {
    // Two positions: 1_000 USD from index 360_000, 500 USD from index 1_080_000; index now
    // 3_600_000_000 (the old reference 100, 300, 1_000_000 per-hour units, times 3_600).
    let weighted = 1_000_000_000u128 * 360_000 + 500_000_000 * 1_080_000;
    let floor =
        aggregate_interest_usd(3_600_000_000, 1_500_000_000, weighted, Rounding::Floor).unwrap();
    let ceil =
        aggregate_interest_usd(3_600_000_000, 1_500_000_000, weighted, Rounding::Ceil).unwrap();
    let each = u128::from(position_interest_usd(3_600_000_000, 360_000, 1_000_000_000).unwrap())
        + u128::from(position_interest_usd(3_600_000_000, 1_080_000, 500_000_000).unwrap());
    // 999_900 + 499_850, exact.
    assert_eq!(floor, 1_499_750);
    assert_eq!(ceil, 1_499_750);
    assert_eq!(each, 1_499_750);
    // One index unit more: 1.5e9 / 3.6e12 of a micro-USD, rounded as asked.
    let weighted_floor =
        aggregate_interest_usd(3_600_000_001, 1_500_000_000, weighted, Rounding::Floor).unwrap();
    let weighted_ceil =
        aggregate_interest_usd(3_600_000_001, 1_500_000_000, weighted, Rounding::Ceil).unwrap();
    assert_eq!((weighted_floor, weighted_ceil), (1_499_750, 1_499_751));
}

proptest! {
    /// The index never decreases as time passes, whatever the rate.
    #[test]
    fn interest_monotone_in_time(cum in 0u128..=u128::from(u64::MAX), rate in 0u64..=1_000_000_000, last in -1_000_000i64..1_000_000, t1 in -1_000_000i64..10_000_000, t2 in -1_000_000i64..10_000_000) {
        let (a, b) = (t1.min(t2), t1.max(t2));
        let ia = accrued_cumulative_interest(cum, rate, last, a).unwrap();
        let ib = accrued_cumulative_interest(cum, rate, last, b).unwrap();
        prop_assert!(cum <= ia && ia <= ib);
        // Exactly rate x elapsed seconds.
        prop_assert_eq!(ib - cum, u128::from(rate) * u128::try_from((b - last).max(0)).unwrap());
        // And so does a position's interest.
        let size = 1_000_000_000u64;
        prop_assert!(position_interest_usd(ia, cum, size).unwrap() <= position_interest_usd(ib, cum, size).unwrap());
    }

    /// The rate grows with utilisation and is continuous at the kink.
    #[test]
    fn rate_monotone_in_utilization(u1 in 0u64..=1_000_000_000, u2 in 0u64..=1_000_000_000, base in 0u64..=1_000_000, s1 in 0u64..=1_000_000, s2 in 0u64..=1_000_000, optimal in 1u64..1_000_000_000) {
        let (lo, hi) = (u1.min(u2), u1.max(u2));
        let r_lo = borrow_rate(lo, base, s1, s2, optimal).unwrap();
        let r_hi = borrow_rate(hi, base, s1, s2, optimal).unwrap();
        prop_assert!(r_lo <= r_hi);
        prop_assert_eq!(borrow_rate(optimal, base, s1, s2, optimal).unwrap(), base + s1);
    }
}
