use super::*;

fn err_is(result: Result<()>, expected: &str) -> bool {
    crate::math::error_name(&result).as_deref() == Some(expected)
}

fn baseline(vault_amount: u64, accounted: u128) -> VaultBaseline {
    VaultBaseline {
        vault_amount,
        accounted,
    }
}

#[test]
fn a_vault_that_moves_with_its_buckets_passes() {
    let before = baseline(1_000, 1_000);
    assert!(before.check(1_250, 1_250).is_ok()); // deposit
    assert!(before.check(400, 400).is_ok()); // payout
    assert!(before.check(1_000, 1_000).is_ok()); // nothing moved
}

#[test]
fn a_donation_already_in_the_vault_is_not_a_mismatch() {
    // 7 tokens sent straight to the vault before the instruction: unaccounted, and left so.
    let before = baseline(1_007, 1_000);
    assert!(before.check(1_257, 1_250).is_ok());
    assert!(before.check(7, 0).is_ok());
}

#[test]
fn tokens_booked_but_not_moved_or_moved_but_not_booked_are_a_mismatch() {
    let before = baseline(1_000, 1_000);
    assert!(err_is(before.check(1_000, 1_250), "VaultBalanceMismatch"));
    assert!(err_is(before.check(750, 1_000), "VaultBalanceMismatch"));
    assert!(err_is(before.check(1_001, 1_000), "VaultBalanceMismatch"));
}

#[test]
fn a_vault_short_of_its_buckets_is_a_mismatch_even_if_it_moved_with_them() {
    let before = baseline(999, 1_000);
    assert!(err_is(before.check(1_249, 1_250), "VaultBalanceMismatch"));
}

#[test]
fn accounted_tokens_sum_the_six_buckets() {
    let assets = Assets {
        owned: u64::MAX,
        locked: 1_000, // part of `owned`, not counted again
        protocol_fees: 3,
        collateral: u64::MAX,
        insurance_fund: 4,
        escrow: u64::MAX,
        stake_rewards: 5,
    };
    assert_eq!(
        accounted_tokens(&assets).unwrap(),
        3 * u128::from(u64::MAX) + 12
    );
}
