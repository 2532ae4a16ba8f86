//! Open finding A mitigation: anyone closes a position whose profit reached its payoff cap; the
//! owner gets a close's payout less the keeper's reward.

use crate::support::*;
use perp_pool::{
    errors::PerpPoolError,
    events::{CappedPositionClosed, PositionDecreased},
    state::{custody::Custody, position::Side},
};
use solana_sdk::signature::Signer;

/// The user's long of 1_500 USD at 150 USD (payoff cap 1x: 1_500 USD of profit, at 300 USD).
fn open_long() -> Trading {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    t
}

#[test]
fn capped_close_is_refused_below_the_cap() {
    let mut t = open_long();
    let (keeper, keeper_usdc) = t.keeper();
    // Profit 1_499.99 USD of 1_500.
    set_sol_price_decimals(&mut t, 300 * PRICE - 1);
    let ix = t.close_capped_ix(keeper.pubkey(), t.env.user_token, keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionNotCapped);
}

#[test]
fn capped_close_pays_only_an_account_the_owner_holds() {
    let mut t = open_long();
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 310 * PRICE);
    let ix = t.close_capped_ix(keeper.pubkey(), keeper_usdc, keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::Unauthorized);
}

#[test]
fn stranger_closes_a_capped_position() {
    let mut t = open_long();
    let user = t.env.user.insecure_clone();
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 310 * PRICE);
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.close_capped_ix(keeper.pubkey(), t.env.user_token, keeper_usdc, Side::Long);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let decreased: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    let closed: CappedPositionClosed = decode_event(&logs).expect("CappedPositionClosed");
    assert_eq!(decreased.profit_usd, 1_500 * USD);
    assert_eq!(decreased.size_usd, 0);
    // reward = 20 bps of 1_500 USD, from the owner's 98.5 + 1_500 - 1.5 (close fee)
    assert_eq!(closed.reward_paid, 3 * USD);
    assert_eq!(closed.exit_price, 310 * PRICE);
    assert_eq!(closed.keeper, keeper.pubkey());
    assert_eq!(t.env.token_balance(keeper_usdc), 3 * USD);
    let received = t.env.token_balance(t.env.user_token) - before;
    assert_eq!(
        received,
        98_500_000 + 1_500 * USD - 1_500_000 - decreased.lp_paid - 3 * USD
    );
    assert_eq!(decreased.amount_out, received);
    assert!(!t.env.exists(t.position_key(user.pubkey(), Side::Long)));
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    t.assert_vault_balanced();
}
