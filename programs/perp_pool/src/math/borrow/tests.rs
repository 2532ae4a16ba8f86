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
fn accrual_is_rate_times_hours_floored() {
    assert_eq!(
        accrued_cumulative_interest(0, 80_000, 0, 3_600).unwrap(),
        80_000
    );
    // 1 s at 80_000/h = 22.2 -> 22
    assert_eq!(accrued_cumulative_interest(5, 80_000, 10, 11).unwrap(), 27);
    // Clock behind the last update: nothing accrues.
    assert_eq!(accrued_cumulative_interest(5, 80_000, 10, 9).unwrap(), 5);
}

#[test]
fn position_interest_rounds_up() {
    // 1_000 USD at an index increase of 80_000 (0.008 %) = 0.08 USD
    assert_eq!(
        position_interest_usd(180_000, 100_000, 1_000_000_000).unwrap(),
        80_000
    );
    assert_eq!(position_interest_usd(1, 0, 1).unwrap(), 1);
    assert_eq!(position_interest_usd(7, 7, 1_000_000_000).unwrap(), 0);
    assert!(err_is(position_interest_usd(1, 2, 1), "MathOverflow"));
}

#[test]
fn aggregate_interest_matches_sum_of_positions_within_rounding() {
    // Two positions: 1_000 USD from index 100, 500 USD from index 300; index now 1_000_000.
    let weighted = 1_000_000_000u128 * 100 + 500_000_000 * 300;
    let floor =
        aggregate_interest_usd(1_000_000, 1_500_000_000, weighted, Rounding::Floor).unwrap();
    let ceil = aggregate_interest_usd(1_000_000, 1_500_000_000, weighted, Rounding::Ceil).unwrap();
    let each = u128::from(position_interest_usd(1_000_000, 100, 1_000_000_000).unwrap())
        + u128::from(position_interest_usd(1_000_000, 300, 500_000_000).unwrap());
    assert_eq!(floor, 1_499_750);
    assert!(floor <= each && each <= ceil + 2);
}

proptest! {
    /// The index never decreases as time passes, whatever the rate.
    #[test]
    fn interest_monotone_in_time(cum in 0u128..=u128::from(u64::MAX), rate in 0u64..=1_000_000_000, last in -1_000_000i64..1_000_000, t1 in -1_000_000i64..10_000_000, t2 in -1_000_000i64..10_000_000) {
        let (a, b) = (t1.min(t2), t1.max(t2));
        let ia = accrued_cumulative_interest(cum, rate, last, a).unwrap();
        let ib = accrued_cumulative_interest(cum, rate, last, b).unwrap();
        prop_assert!(cum <= ia && ia <= ib);
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
