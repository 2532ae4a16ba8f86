//! Trigger orders (docs/trigger-orders.md), limit orders and the owner's side: a limit order
//! opens or increases the position, a cap refuses it by name and leaves it open, only the owner
//! edits or cancels, bad input is refused by name with nothing changed.

use crate::support::{orders::*, *};
use perp_pool::{
    errors::PerpPoolError,
    events::{OrderCancelled, OrderExecuted, PositionOpened},
    state::{order::Order, position::Position},
    types::{OrderKind, Side},
};
use solana_sdk::signature::{Keypair, Signer};

#[test]
fn a_limit_long_opens_the_position_when_the_entry_falls_to_its_trigger() {
    let mut t = setup_trading();
    let before = t.env.token_balance(t.env.user_token);
    place(
        &mut t,
        OrderKind::Limit,
        Side::Long,
        0,
        145 * PRICE,
        145 * PRICE,
        1_000 * USD,
        50 * USD,
    );
    assert_eq!(
        before - t.env.token_balance(t.env.user_token),
        50 * USD + FEE
    );
    assert_eq!(escrow(&t), 50 * USD + FEE);
    t.assert_vault_balanced();
    let keeper = Keypair::new();
    t.env.fund(keeper.pubkey(), 100_000_000);
    let keeper_usdc = t.env.create_token_account(t.env.mint, keeper.pubkey());
    set_sol_price_decimals(&mut t, 146 * PRICE);
    let ix = t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::OrderNotTriggered),
    );

    set_sol_price_decimals(&mut t, 145 * PRICE);
    let keeper_lamports = t.env.node.account(&keeper.pubkey()).unwrap().lamports;
    let ix = t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let opened: PositionOpened = decode_event(&logs).expect("PositionOpened");
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    assert_eq!(
        (opened.price, opened.size_usd, opened.collateral_in),
        (145 * PRICE, 1_000 * USD, 50 * USD)
    );
    assert_eq!((ev.full, ev.collateral_amount), (true, 50 * USD));
    // The executor paid the position's rent and was refunded it; the fee is its pay.
    assert_eq!(
        t.env.node.account(&keeper.pubkey()).unwrap().lamports,
        keeper_lamports
    );
    assert_eq!(t.env.token_balance(keeper_usdc), FEE);
    let position: Position = t
        .env
        .account(t.position_key(t.env.user.pubkey(), Side::Long));
    assert_eq!(position.owner, t.env.user.pubkey());
    assert_eq!(escrow(&t), 0);
    t.assert_vault_balanced();
}

#[test]
fn a_limit_short_increases_an_open_short_when_the_entry_rises_to_its_trigger() {
    let mut t = short_position();
    place(
        &mut t,
        OrderKind::Limit,
        Side::Short,
        0,
        155 * PRICE,
        155 * PRICE,
        500 * USD,
        20 * USD,
    );
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 156 * PRICE);
    let ix = t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Short, 0);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]);
    let ev: OrderExecuted = decode_event(&logs).expect("OrderExecuted");
    assert_eq!((ev.execution_price, ev.full), (156 * PRICE, false));
    let position: Position = t
        .env
        .account(t.position_key(t.env.user.pubkey(), Side::Short));
    assert_eq!(position.size_usd, 2_000 * USD);
    t.assert_vault_balanced();
}

#[test]
fn a_limit_order_that_breaches_a_cap_fails_with_the_caps_error_and_stays_open() {
    let mut t = setup_trading();
    // 6_000 USD locks more than the pool's 5_000 USDC.
    place(
        &mut t,
        OrderKind::Limit,
        Side::Long,
        0,
        149 * PRICE,
        149 * PRICE,
        6_000 * USD,
        200 * USD,
    );
    let (keeper, keeper_usdc) = t.keeper();
    t.env.fund(keeper.pubkey(), 100_000_000); // the rent of the position it would open
    set_sol_price_decimals(&mut t, 149 * PRICE);
    let ix = t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::InsufficientLiquidity),
    );
    assert!(t.env.exists(t.order_key(0)));
    // The owner takes everything back.
    let user = t.env.user.insecure_clone();
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.cancel_order_ix(user.pubkey(), t.env.user_token, 0);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let ev: OrderCancelled = decode_event(&logs).expect("OrderCancelled");
    assert_eq!((ev.refunded, ev.void), (200 * USD + FEE, false));
    assert_eq!(
        t.env.token_balance(t.env.user_token) - before,
        200 * USD + FEE
    );
    assert_eq!(escrow(&t), 0);
    t.assert_vault_balanced();
}

#[test]
fn only_the_owner_edits_or_cancels_and_an_edit_is_checked_as_a_placement() {
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
    let (stranger, stranger_usdc) = t.keeper();
    t.env.fund(stranger.pubkey(), 100_000_000);
    let ix = t.cancel_order_ix(stranger.pubkey(), stranger_usdc, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&stranger],
        code(PerpPoolError::Unauthorized),
    );
    let ix = t.edit_order_ix(stranger.pubkey(), Side::Long, 0, 146 * PRICE, 0, ALL);
    expect_refused(
        &mut t,
        &[ix],
        &[&stranger],
        code(PerpPoolError::Unauthorized),
    );
    let user = t.env.user.insecure_clone();
    let ix = t.edit_order_ix(user.pubkey(), Side::Long, 0, 140 * PRICE, 0, ALL);
    expect_refused(
        &mut t,
        &[ix],
        &[&user],
        code(PerpPoolError::StopLossPastLiquidation),
    );
    let ix = t.edit_order_ix(user.pubkey(), Side::Long, 0, 146 * PRICE, 0, 0);
    expect_refused(&mut t, &[ix], &[&user], code(PerpPoolError::ZeroAmount));
    let ix = t.edit_order_ix(user.pubkey(), Side::Long, 0, 147 * PRICE, 0, 700 * USD);
    t.env.send(&[ix], &[&user]).unwrap();
    let order: Order = t.env.account(t.order_key(0));
    assert_eq!(
        (order.trigger_price, order.size_usd),
        (147 * PRICE, 700 * USD)
    );
}

#[test]
fn bad_placements_are_refused_by_name_and_change_nothing() {
    let mut t = long_position();
    let user = t.env.user.insecure_clone();
    let cases = [
        (
            OrderKind::TakeProfit,
            Side::Long,
            0,
            160,
            0,
            0,
            PerpPoolError::ZeroAmount,
        ),
        (
            OrderKind::TakeProfit,
            Side::Long,
            8,
            160,
            ALL,
            0,
            PerpPoolError::TooManyOrders,
        ),
        (
            OrderKind::TakeProfit,
            Side::Long,
            0,
            140,
            ALL,
            0,
            PerpPoolError::InvalidTriggerPrice,
        ),
        (
            OrderKind::TakeProfit,
            Side::Long,
            0,
            0,
            ALL,
            0,
            PerpPoolError::InvalidTriggerPrice,
        ),
        (
            OrderKind::TakeProfit,
            Side::Long,
            0,
            160,
            ALL,
            USD,
            PerpPoolError::InvalidOrderKind,
        ),
        (
            OrderKind::TakeProfit,
            Side::Short,
            0,
            140,
            ALL,
            0,
            PerpPoolError::InvalidPositionState,
        ),
        (
            OrderKind::Limit,
            Side::Long,
            0,
            140,
            100 * USD,
            0,
            PerpPoolError::ZeroAmount,
        ),
        (
            OrderKind::Limit,
            Side::Short,
            0,
            140,
            100 * USD,
            USD,
            PerpPoolError::InvalidTriggerPrice,
        ),
    ];
    for (kind, side, index, trigger, size, collateral, error) in cases {
        let ix = t.place_order_ix(kind, side, index, trigger * PRICE, 0, size, collateral);
        expect_refused(&mut t, &[made_unique(ix)], &[&user], code(error));
    }
    // The admin lowers the maximum: index 1 is refused, index 0 still taken.
    let admin = t.env.admin.insecure_clone();
    let ix = t.set_order_config_ix(1, 200_000);
    t.env.send(&[ix], &[&admin]).unwrap();
    let ix = t.place_order_ix(OrderKind::TakeProfit, Side::Long, 1, 160 * PRICE, 0, ALL, 0);
    expect_refused(&mut t, &[ix], &[&user], code(PerpPoolError::TooManyOrders));
    let ev = place(
        &mut t,
        OrderKind::TakeProfit,
        Side::Long,
        0,
        160 * PRICE,
        0,
        ALL,
        0,
    );
    assert_eq!(ev.executor_fee, 200_000);
    let ix = t.set_order_config_ix(1, 100_000_001);
    t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig);
}

#[test]
fn the_wrong_execute_instruction_is_refused() {
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
    place(
        &mut t,
        OrderKind::Limit,
        Side::Long,
        1,
        140 * PRICE,
        140 * PRICE,
        100 * USD,
        10 * USD,
    );
    let (keeper, keeper_usdc) = t.keeper();
    set_sol_price_decimals(&mut t, 170 * PRICE);
    let ix = t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Long, 0);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::InvalidOrderKind),
    );
    let ix = t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, 1);
    expect_refused(
        &mut t,
        &[ix],
        &[&keeper],
        code(PerpPoolError::InvalidOrderKind),
    );
}
