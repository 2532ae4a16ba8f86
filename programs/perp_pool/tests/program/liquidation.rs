//! Liquidation: the liquidation price is exact to the tick for longs and shorts, an underwater
//! position pays no reward, and a liquidatable position cannot be increased without collateral.

use crate::support::*;
use perp_pool::{
    errors::PerpPoolError,
    events::PositionLiquidated,
    state::{custody::Custody, position::Side},
};
use solana_sdk::signature::Signer;

fn open(t: &mut Trading, side: Side) {
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(side, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
}

#[test]
fn long_liquidated_one_tick_past_liquidation_price() {
    let mut t = setup_trading();
    open(&mut t, Side::Long);
    let user = t.env.user.insecure_clone();
    let p = t.liquidation_price(Side::Long);
    // 1_500 USD at 150 with 98.5 USD: maintenance equity 15 USD, close fee 1.5 -> loss 82 USD:
    // the 10 SOL must stay worth 1_418 USD, P >= 141.8 USD.
    assert_eq!(p, 141_800_000_000);
    let (keeper, keeper_usdc) = t.keeper();

    set_sol_price_decimals(&mut t, p);
    assert!(!t.liquidation_state(Side::Long));
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionHealthy);

    set_sol_price_decimals(&mut t, p - 1);
    assert!(t.liquidation_state(Side::Long));
    // A different keeper: the same keeper's identical transaction would be AlreadyProcessed.
    let (keeper, keeper_usdc) = t.keeper();
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Long);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let event: PositionLiquidated = decode_event(&logs).expect("PositionLiquidated");
    assert_eq!(event.exit_price, p - 1);
    // reward = 20 bps of 1_500 USD
    assert_eq!(event.reward_paid, 3 * USD);
    assert_eq!(t.env.token_balance(keeper_usdc), 3 * USD);
    assert!(!t.env.exists(t.position_key(user.pubkey(), Side::Long)));
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    t.assert_vault_balanced();
}

#[test]
fn short_liquidated_one_tick_past_liquidation_price() {
    let mut t = setup_trading();
    open(&mut t, Side::Short);
    let p = t.liquidation_price(Side::Short);
    // Mirror: the 10 SOL owed must stay worth at most 1_582 USD, P <= 158.2 USD.
    assert_eq!(p, 158_200_000_000);
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, p);
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Short);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionHealthy);
    set_sol_price_decimals(&mut t, p + 1);
    // A different keeper: the same keeper's identical transaction would be AlreadyProcessed.
    let (keeper, keeper_usdc) = t.keeper();
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Short);
    t.env.send(&[ix], &[&keeper]).unwrap();
    t.assert_vault_balanced();
}

/// Finding 4: an underwater position pays no liquidator reward, so its owner gains nothing by
/// liquidating it himself: the collateral goes to the LPs first.
#[test]
fn underwater_self_liquidation_pays_no_reward() {
    let mut t = setup_trading();
    open(&mut t, Side::Long);
    let user = t.env.user.insecure_clone();
    // -6.67 %: loss 100 USD on 98.5 USD of collateral.
    set_sol_price_decimals(&mut t, 140 * PRICE);
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.liquidate_ix(user.pubkey(), t.env.user_token, Side::Long);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let event: PositionLiquidated = decode_event(&logs).expect("PositionLiquidated");
    assert_eq!(event.loss_usd, 100 * USD);
    assert_eq!(event.reward_usd, 3 * USD);
    assert_eq!(event.reward_paid, 0);
    assert_eq!(event.lp_paid, 98_500_000);
    assert_eq!(event.fee_paid, 0);
    assert_eq!(event.bad_debt_usd, 1_500_000);
    assert_eq!(t.env.token_balance(t.env.user_token), before);
    t.assert_vault_balanced();
}

/// Finding 5: a liquidatable position cannot be increased (the position after an increase must
/// be within the max initial leverage at the exit price, profit not counted).
#[test]
fn liquidatable_position_cannot_be_increased() {
    let mut t = setup_trading();
    open(&mut t, Side::Long);
    let user = t.env.user.insecure_clone();
    let p = t.liquidation_price(Side::Long);
    set_sol_price_decimals(&mut t, p - 1);
    assert!(t.liquidation_state(Side::Long));
    let ix = t.increase_ix(Side::Long, 0, 15 * USD, 150 * PRICE);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded);
    // Enough collateral for the initial leverage: allowed (and the position is healthy again).
    let ix = t.increase_ix(Side::Long, 100 * USD, 15 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    assert!(!t.liquidation_state(Side::Long));
    t.assert_vault_balanced();
}
