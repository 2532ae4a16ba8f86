use {super::*, proptest::prelude::*};

fn err_is<T>(result: Result<T>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

const OPTIMAL: u64 = 800_000_000;

#[test]
fn open_fee_is_flat_up_to_optimal_utilization() {
    assert_eq!(open_fee_bps(10, 0, OPTIMAL).unwrap(), 10);
    assert_eq!(open_fee_bps(10, OPTIMAL, OPTIMAL).unwrap(), 10);
    // 1_000 USD at 10 bps = 1 USD
    assert_eq!(
        open_position_fee_usd(1_000_000_000, 10, OPTIMAL, OPTIMAL).unwrap(),
        1_000_000
    );
}

#[test]
fn open_fee_doubles_linearly_to_full_utilization() {
    // 90 %: 10 + ceil(10 * 0.1 / 0.2) = 15
    assert_eq!(open_fee_bps(10, 900_000_000, OPTIMAL).unwrap(), 15);
    // just above optimal: the extra rounds up to 1 bps
    assert_eq!(open_fee_bps(10, OPTIMAL + 1, OPTIMAL).unwrap(), 11);
    assert_eq!(open_fee_bps(10, 1_000_000_000, OPTIMAL).unwrap(), 20);
    // above 100 % is clamped
    assert_eq!(open_fee_bps(10, 5_000_000_000, OPTIMAL).unwrap(), 20);
}

#[test]
fn open_fee_rejects_optimal_at_100_percent() {
    assert!(err_is(
        open_fee_bps(10, 0, 1_000_000_000),
        "InvalidCustodyConfig"
    ));
}

#[test]
fn close_and_liquidation_fees_round_up() {
    assert_eq!(close_position_fee_usd(1, 10).unwrap(), 1);
    assert_eq!(close_position_fee_usd(10_000, 10).unwrap(), 10);
    assert_eq!(close_position_fee_usd(10_001, 10).unwrap(), 11);
    assert_eq!(liquidation_fee_usd(1_000_000_000, 50).unwrap(), 5_000_000);
    assert_eq!(liquidator_reward_usd(3, 1).unwrap(), 1);
    assert_eq!(close_position_fee_usd(0, 10).unwrap(), 0);
}

#[test]
fn fee_split_gives_rounding_dust_to_lps() {
    assert_eq!(
        split_fee(101, 2_500, 1_000, 0).unwrap(),
        FeeSplit {
            protocol: 25,
            insurance: 10,
            stakers: 0,
            lp: 66
        }
    );
    assert_eq!(
        split_fee(7, 5_000, 5_000, 0).unwrap(),
        FeeSplit {
            protocol: 3,
            insurance: 3,
            stakers: 0,
            lp: 1
        }
    );
    // 101 * 30 % = 30.3 -> 30 to the stakers, floor like the other cuts.
    assert_eq!(
        split_fee(101, 2_500, 1_000, 3_000).unwrap(),
        FeeSplit {
            protocol: 25,
            insurance: 10,
            stakers: 30,
            lp: 36
        }
    );
    assert!(err_is(
        split_fee(1, 5_001, 5_000, 0),
        "InvalidCustodyConfig"
    ));
    assert!(err_is(
        split_fee(1, 4_000, 3_000, 3_001),
        "InvalidCustodyConfig"
    ));
    assert!(err_is(split_fee(1, 0, 0, u64::MAX), "InvalidCustodyConfig"));
}

proptest! {
    /// Fees are never negative (unsigned), never below the exact fee and grow with utilisation.
    #[test]
    fn open_fee_bounded_and_monotone(size in 0u64..=u64::MAX / 30_000, bps in 0u64..=10_000, u1 in 0u64..=1_200_000_000, u2 in 0u64..=1_200_000_000, optimal in 0u64..1_000_000_000) {
        let (lo, hi) = (u1.min(u2), u1.max(u2));
        let f_lo = open_position_fee_usd(size, bps, lo, optimal).unwrap();
        let f_hi = open_position_fee_usd(size, bps, hi, optimal).unwrap();
        prop_assert!(f_lo <= f_hi);
        prop_assert!(u128::from(f_lo) * 10_000 >= u128::from(size) * u128::from(bps));
        prop_assert!(u128::from(f_hi) <= (u128::from(size) * u128::from(bps) * 2).div_ceil(10_000) + 1);
    }

    /// The four parts of a split add up to the fee; no part is negative; each cut is at most
    /// its exact share (rounding dust stays with the LPs).
    #[test]
    fn split_adds_up(fee in any::<u64>(), protocol in 0u64..=10_000, insurance in 0u64..=10_000, stakers in 0u64..=10_000) {
        if protocol + insurance + stakers <= 10_000 {
            let s = split_fee(fee, protocol, insurance, stakers).unwrap();
            prop_assert_eq!(
                u128::from(s.protocol) + u128::from(s.insurance) + u128::from(s.stakers) + u128::from(s.lp),
                u128::from(fee)
            );
            prop_assert!(u128::from(s.stakers) * 10_000 <= u128::from(fee) * u128::from(stakers));
        } else {
            prop_assert!(split_fee(fee, protocol, insurance, stakers).is_err());
        }
    }
}
