//! Trigger orders (docs/trigger-orders.md), take-profit and stop-loss: placement and escrow,
//! execution on each side, partial and whole, the executor fee, at most once, void orders, a
//! stale oracle, self-execution.

use crate::support::{orders::*, *};
use perp_pool::{
    errors::PerpPoolError,
    events::{OrderCancelled, OrderExecuted},
    state::{order::Order, position::Position},
    types::{OrderKind, Side},
};
use solana_sdk::signature::Signer;

#[test]
fn placing_an_order_escrows_the_executor_fee() {
    let mut t = long_position();
    let before = t.env.token_balance(t.env.user_token);
    let ev = place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        160 * PRICE,
        500 * USD,
        0,
    );
    assert_eq!(
        (ev.executor_fee, ev.watched_price, ev.index),
        (FEE, 150 * PRICE, 0)
    );
    assert_eq!(before - t.env.token_balance(t.env.user_token), FEE);
    assert_eq!(escrow(&t), FEE);
    let order: Order = t.env.account(t.order_key(0));
    let position: Position = t
        .env
        .account(t.position_key(t.env.user.pubkey(), Side::Long));
    assert_eq!(order.position_open_time, position.open_time);
    t.assert_vault_balanced();
}

#[test]
fn a_take_profit_closes_part_of_a_long_once_reached_and_only_once() {
    let mut t = long_position();
    place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        160 * PRICE,
        500 * USD,
        0,
    );
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 160 * PRICE - 1);
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::OrderNotTriggered),
    );
    assert!(!t.order_state(Side::Long, 0).executable);

    set_sol_price_decimals(&mut t, 160 * PRICE);
    assert!(t.order_state(Side::Long, 0).executable);
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    let logs = t.env.send_with_logs(std::slice::from_ref(&ix), &[&keeper]);
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    assert_eq!(
        (ev.execution_price, ev.size_usd, ev.full),
        (160 * PRICE, 500 * USD, false)
    );
    assert_eq!(t.env.token_balance(keeper_usdc), FEE);
    assert!(
        t.env.token_balance(t.env.user_token) > before,
        "the owner is paid the closed part"
    );
    let position: Position = t
        .env
        .account(t.position_key(t.env.user.pubkey(), Side::Long));
    assert_eq!(position.size_usd, 1_000 * USD);
    assert!(!t.env.exists(t.order_key(0)));
    assert_eq!(escrow(&t), 0);
    t.assert_vault_balanced();

    t.env.next_slot();
    let failed = t.env.send(&[ix], &[&keeper]).expect_err("executed twice");
    assert_eq!(failed.custom_code(), Some(ACCOUNT_NOT_INITIALIZED));
}

#[test]
fn a_stop_loss_on_the_unsafe_side_of_liquidation_is_refused() {
    let mut t = long_position();
    let user = t.env.user.insecure_clone();
    // Liquidatable below an exit of 141.8: a stop there could lose the race to the liquidator.
    let ix = t.place_order_ix(OrderKind::StopLoss, Side::Long, 0, 141 * PRICE, 0, ALL, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&user],
        code(PerpPoolError::StopLossPastLiquidation),
    );
    // At or above the price now, the stop is already reached.
    let ix = t.place_order_ix(OrderKind::StopLoss, Side::Long, 0, 150 * PRICE, 0, ALL, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&user],
        code(PerpPoolError::InvalidTriggerPrice),
    );
    place(
        &mut t,
        OrderKind::StopLoss,
        Side::Long,
        0,
        141_900 * PRICE / 1_000,
        0,
        ALL,
        0,
    );
}

#[test]
fn a_stop_loss_closes_the_whole_long_before_it_is_liquidatable() {
    let mut t = long_position();
    place(
        &mut t,
        OrderKind::StopLoss,
        Side::Long,
        0,
        145 * PRICE,
        0,
        ALL,
        0,
    );
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 143 * PRICE);
    assert!(!t.liquidation_state(Side::Long));
    let user_lamports = t.env.node.account(&t.env.user.pubkey()).unwrap().lamports;
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    assert_eq!(
        (ev.execution_price, ev.size_usd, ev.full),
        (143 * PRICE, 1_500 * USD, true)
    );
    let position = t.position_key(t.env.user.pubkey(), Side::Long);
    assert!(!t.env.exists(position));
    // The owner got the position's and the order's rent back.
    assert!(t.env.node.account(&t.env.user.pubkey()).unwrap().lamports > user_lamports);
    assert_eq!(t.env.token_balance(keeper_usdc), FEE);
    t.assert_vault_balanced();
}

#[test]
fn short_take_profit_and_stop_loss_mirror_the_long() {
    let mut t = short_position();
    place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Short,
        0,
        140 * PRICE,
        140 * PRICE,
        500 * USD,
        0,
    );
    place(
        &mut t,
        OrderKind::StopLoss,
        Side::Short,
        1,
        155 * PRICE,
        u64::MAX,
        ALL,
        0,
    );
    assert_eq!(escrow(&t), 2 * FEE);
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 140 * PRICE);
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Short, 1);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::OrderNotTriggered),
    );
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Short, 0);
    t.env.send(&[ix], &[&keeper]).unwrap();
    set_sol_price_decimals(&mut t, 156 * PRICE);
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Short, 1);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    // The stop closes what the take-profit left.
    assert_eq!((ev.size_usd, ev.full), (1_000 * USD, true));
    assert_eq!(t.env.token_balance(keeper_usdc), 2 * FEE);
    assert_eq!(escrow(&t), 0);
    t.assert_vault_balanced();
}

#[test]
fn an_order_whose_position_is_gone_is_void_and_anyone_removes_it_for_the_fee() {
    let mut t = long_position();
    place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        0,
        ALL,
        0,
    );
    let (keeper, keeper_usdc) = t.keeper();
    let ix = t.remove_void_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(&mut t, &[ix], &[&keeper], code(PerpPoolError::OrderNotVoid));
    assert!(!t.order_state(Side::Long, 0).void);

    // Closed and opened again: another position, the order is void.
    let user = t.env.user.insecure_clone();
    let ix = t.close_ix(Side::Long, 0);
    t.env.send(&[ix], &[&user]).unwrap();
    t.env.advance_clock(2);
    set_sol_price_decimals(&mut t, 150 * PRICE);
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[made_unique(ix)], &[&user]).unwrap();
    set_sol_price_decimals(&mut t, 161 * PRICE);
    assert!(t.order_state(Side::Long, 0).void);
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(&mut t, &[ix], &[&keeper], code(PerpPoolError::OrderVoid));
    let ix = t.remove_void_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let ev: OrderCancelled = decode_event(&logs).expect("OrderCancelled");
    assert_eq!((ev.void, ev.executor_fee_paid, ev.refunded), (true, FEE, 0));
    assert_eq!(t.env.token_balance(keeper_usdc), FEE);
    assert!(!t.env.exists(t.order_key(0)));
    t.assert_vault_balanced();
}

#[test]
fn a_reached_order_on_a_stale_oracle_is_refused() {
    let mut t = long_position();
    place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        0,
        ALL,
        0,
    );
    set_sol_price_decimals(&mut t, 161 * PRICE);
    t.env.advance_clock(31);
    let (keeper, keeper_usdc) = t.keeper();
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::StaleOraclePrice),
    );
}

#[test]
fn the_owner_executing_its_own_order_pays_itself_the_fee() {
    let mut t = long_position();
    place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        0,
        500 * USD,
        0,
    );
    set_sol_price_decimals(&mut t, 160 * PRICE);
    let user = t.env.user.insecure_clone();
    let ix = t.execute_trigger_ix(user.pubkey(), t.env.user_token, Side::Long, 0);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    assert_eq!((ev.executor, ev.executor_fee_paid), (user.pubkey(), FEE));
    t.assert_vault_balanced();
}
