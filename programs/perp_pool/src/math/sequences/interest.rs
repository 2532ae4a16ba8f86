//! Interest accrued over any schedule.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// (c) Accruing an interval in any number of pieces gives exactly the index of one accrual,
    /// so a position owes exactly the same interest and the custody's aggregate is the same,
    /// however often the permissionless update runs.
    #[test]
    fn interest_does_not_depend_on_the_accrual_schedule(
        start in 0u128..=u128::from(u64::MAX),
        rate in 0u64..=10_000_000_000,
        t0 in 0i64..=2_000_000_000,
        steps in proptest::collection::vec(0i64..=100_000, 0..40),
        size_usd in log_range(1, 10_000_000_000_000),
        snapshot_back in 0u128..=1_000_000_000,
        behind in proptest::collection::vec(any::<bool>(), 40),
    ) {
        let end = t0 + steps.iter().sum::<i64>();
        let once = accrued_cumulative_interest(start, rate, t0, end).unwrap();
        let mut index = start;
        let mut last = t0;
        let mut now = t0;
        for (step, back) in steps.iter().zip(behind.iter()) {
            now += step;
            // A call with a clock behind the last update accrues nothing.
            if *back {
                prop_assert_eq!(accrued_cumulative_interest(index, rate, last, last - 1).unwrap(), index);
            }
            index = accrued_cumulative_interest(index, rate, last, now).unwrap();
            last = last.max(now);
        }
        prop_assert_eq!(index, once);
        prop_assert_eq!(once - start, u128::from(rate) * u128::try_from(end - t0).unwrap());
        let snapshot = start.saturating_sub(snapshot_back);
        prop_assert_eq!(
            position_interest_usd(index, snapshot, size_usd).unwrap(),
            position_interest_usd(once, snapshot, size_usd).unwrap()
        );
        let weighted = u128::from(size_usd) * snapshot;
        for rounding in [Rounding::Floor, Rounding::Ceil] {
            prop_assert_eq!(
                aggregate_interest_usd(index, size_usd, weighted, rounding).unwrap(),
                aggregate_interest_usd(once, size_usd, weighted, rounding).unwrap()
            );
        }
    }

    /// (c) Settling a position's interest in pieces (an increase or a decrease settles what is
    /// owed and resets the snapshot) never collects less than settling it once: each piece
    /// rounds up.
    #[test]
    fn interest_settled_in_pieces_is_never_less(
        size_usd in log_range(1, 10_000_000_000_000),
        pieces in proptest::collection::vec(0u128..=1_000_000_000_000, 1..20),
    ) {
        let total: u128 = pieces.iter().sum();
        let once = u128::from(position_interest_usd(total, 0, size_usd).unwrap());
        let mut index = 0u128;
        let mut paid = 0u128;
        for piece in pieces {
            paid += u128::from(position_interest_usd(index + piece, index, size_usd).unwrap());
            index += piece;
        }
        prop_assert!(paid >= once, "{} < {}", paid, once);
    }
}
