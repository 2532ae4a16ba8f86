//! Collateral removal.

use super::*;

#[test]
fn remove_collateral_respects_initial_leverage() {
    let p = long(100 * PRICE, 1_000 * USD, 100 * USD);
    let c = usdc(10_000 * USD, 1_000 * USD);
    let out = compute_remove_collateral(&p, 50 * USD, 100 * PRICE, 0, &c, &market()).unwrap();
    assert_eq!(out.amount_out, 50 * USD);
    assert_eq!(out.collateral_amount, 50 * USD);
    // 1_000 / (21 - 1) = 50x: allowed; one more micro-USD is not.
    assert!(compute_remove_collateral(&p, 79 * USD, 100 * PRICE, 0, &c, &market()).is_ok());
    assert!(err_is(
        compute_remove_collateral(&p, 79 * USD + 1, 100 * PRICE, 0, &c, &market()),
        "MaxLeverageExceeded"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 100 * USD, 100 * PRICE, 0, &c, &market()),
        "InsufficientCollateral"
    ));
    assert!(err_is(
        compute_remove_collateral(&p, 0, 100 * PRICE, 0, &c, &market()),
        "ZeroAmount"
    ));
}
