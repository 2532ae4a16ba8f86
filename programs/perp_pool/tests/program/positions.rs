//! Positions: open, close, decrease, increase, collateral changes, the checks on opening, and
//! borrow interest.

use crate::support::{pool::all_allowed, *};
use perp_pool::{
    errors::PerpPoolError,
    events::{PositionDecreased, PositionIncreased, PositionOpened},
    instructions::{SetCustodyConfigParams, SetPermissionsParams},
    state::{
        custody::{BorrowRateParams, Custody, Fees},
        position::{Position, Side},
    },
};
use solana_sdk::signature::{Keypair, Signer};

/// The user's long of 1_500 USD at 150 USD with 100 USDC.
fn open_long(t: &mut Trading) {
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
}

#[test]
fn open_and_close_long_at_profit() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let opened: PositionOpened = decode_event(&logs).expect("PositionOpened");
    assert_eq!(opened.price, 150 * PRICE);
    assert_eq!(opened.fee_amount, 1_500_000);
    assert_eq!(opened.collateral_amount, 98_500_000);
    assert_eq!(opened.locked_amount, 1_500 * USD);
    // 1_500 USD at 150 USD: 10 tokens (QUANTITY_DECIMALS = 12).
    assert_eq!(opened.quantity, 10_000_000_000_000);
    let position: Position = t.env.account(t.position_key(user.pubkey(), Side::Long));
    assert_eq!(position.size_usd, 1_500 * USD);
    assert_eq!(position.quantity, 10_000_000_000_000);
    assert_eq!(position.price, 150 * PRICE);
    assert_eq!(position.side, Side::Long);
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.long_positions.open_positions, 1);
    assert_eq!(sol.long_positions.total_quantity, 10_000_000_000_000);
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.assets.collateral, 98_500_000);
    assert_eq!(usdc.assets.locked, 1_500 * USD);
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 1_500 * USD);
    t.assert_vault_balanced();

    // +10 %: profit 150 USD, close fee 1.5 USD.
    t.set_sol_price(16_500_000_000);
    let ix = t.close_ix(Side::Long, 165 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.profit_usd, 150 * USD);
    assert_eq!(closed.size_usd, 0);
    assert_eq!(closed.quantity_delta, 10_000_000_000_000);
    assert_eq!(closed.quantity, 0);
    let received = t.env.token_balance(t.env.user_token) + 100 * USD - before;
    assert_eq!(
        received,
        98_500_000 + 150 * USD - 1_500_000 - closed.lp_paid
    );
    assert!(!t.env.exists(t.position_key(user.pubkey(), Side::Long)));
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 0);
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.long_positions, Default::default());
    t.assert_vault_balanced();
}

#[test]
fn open_and_close_short_at_loss() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let before = t.env.token_balance(t.env.user_token);
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    // +2 % against the short: loss 30 USD.
    t.set_sol_price(15_300_000_000);
    let ix = t.close_ix(Side::Short, 153 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.loss_usd, 30 * USD);
    let spent = before - t.env.token_balance(t.env.user_token);
    // open fee 1.5 + loss 30 + close fee 1.5 (+ any interest)
    assert_eq!(
        spent,
        1_500_000 + 30 * USD + 1_500_000 + closed.interest_usd
    );
    t.assert_vault_balanced();
}

#[test]
fn open_above_the_price_limit_is_rejected() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE - 1);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::PriceSlippage);
}

#[test]
fn open_above_the_max_initial_leverage_is_rejected() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    // 60x.
    let ix = t.open_ix(Side::Long, 25 * USD, 1_500 * USD, 150 * PRICE);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded);
}

#[test]
fn second_open_of_the_same_position_is_rejected() {
    let mut t = setup_trading();
    open_long(&mut t);
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_400 * USD, 150 * PRICE);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidPositionState);
}

#[test]
fn collateral_in_a_non_stable_custody_is_rejected() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let mut accounts = t.open_accounts(Side::Short);
    accounts.collateral_custody = t.sol_custody;
    accounts.position = t.position_key_in(user.pubkey(), t.sol_custody, t.sol_custody, Side::Short);
    let ix = t.open_ix_with(accounts, Side::Short, 100 * USD, 1_500 * USD, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidCollateralCustody);
}

#[test]
fn paused_trading_rejects_open_and_close() {
    let mut t = setup_trading();
    open_long(&mut t);
    let user = t.env.user.insecure_clone();
    let admin = t.env.admin.insecure_clone();
    let paused = SetPermissionsParams {
        allow_open_position: false,
        allow_close_position: false,
        ..all_allowed()
    };
    let ix = t.env.set_permissions_ix(admin.pubkey(), paused);
    t.env.send(&[ix], &[&admin]).unwrap();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed);
    let ix = t.close_ix(Side::Long, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed);
}

#[test]
fn partial_decrease_then_close() {
    let mut t = setup_trading();
    open_long(&mut t);
    let user = t.env.user.insecure_clone();
    let ix = t.decrease_ix(Side::Long, 1_500 * USD, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidPositionState);
    let ix = t.decrease_ix(Side::Long, 500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    let position: Position = t.env.account(t.position_key(user.pubkey(), Side::Long));
    assert_eq!(position.size_usd, 1_000 * USD);
    assert_eq!(position.locked_amount, 1_000 * USD);
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.long_positions.size_usd, 1_000 * USD);
    assert_eq!(sol.long_positions.open_positions, 1);
    t.assert_vault_balanced();
    let ix = t.close_ix(Side::Long, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.long_positions, Default::default());
    t.assert_vault_balanced();
}

#[test]
fn increase_and_collateral_changes_keep_stats_consistent() {
    let mut t = setup_trading();
    open_long(&mut t);
    let user = t.env.user.insecure_clone();
    let ix = t.increase_ix(Side::Long, 50 * USD, 1_500 * USD, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let increased: PositionIncreased = decode_event(&logs).expect("PositionIncreased");
    assert_eq!(increased.quantity_delta, 10_000_000_000_000);
    assert_eq!(increased.quantity, 20_000_000_000_000);
    let position: Position = t.env.account(t.position_key(user.pubkey(), Side::Long));
    assert_eq!(position.size_usd, 3_000 * USD);
    assert_eq!(position.quantity, 20_000_000_000_000);
    assert_eq!(position.price, 150 * PRICE);
    assert_eq!(
        position.collateral_amount,
        98_500_000 + 50 * USD - 1_500_000
    );
    assert_eq!(position.locked_amount, 3_000 * USD);

    let ix = t.add_collateral_ix(Side::Long, 10 * USD);
    t.env.send(&[ix], &[&user]).unwrap();
    let ix = t.remove_collateral_ix(Side::Long, 20 * USD);
    t.env.send(&[ix], &[&user]).unwrap();
    // 3_000 USD at 50x needs 60 USD + 3 USD close fee: 137 USD left, so 80 more is too much.
    let ix = t.remove_collateral_ix(Side::Long, 80 * USD);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded);
    let position: Position = t.env.account(t.position_key(user.pubkey(), Side::Long));
    assert_eq!(position.collateral_amount, 137 * USD);
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.long_positions.size_usd, 3_000 * USD);
    assert_eq!(sol.long_positions.collateral_usd, 137 * USD);
    assert_eq!(sol.long_positions.total_quantity, 20_000_000_000_000);
    t.assert_vault_balanced();
}

#[test]
fn another_owner_cannot_remove_collateral() {
    let mut t = setup_trading();
    open_long(&mut t);
    let stranger = Keypair::new();
    let mut accounts = t.settle_accounts(Side::Long);
    accounts.owner = stranger.pubkey();
    let ix = t.remove_collateral_ix_with(accounts, USD);
    t.env
        .expect_error(&[ix], &[&stranger], PerpPoolError::Unauthorized);
}

#[test]
fn trading_the_collateral_custody_itself_keeps_one_consistent_account() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let admin = t.env.admin.insecure_clone();
    // Make USDC tradeable.
    let params = SetCustodyConfigParams {
        oracle: t.env.custom_oracle(),
        fees: Fees {
            add_liquidity_bps: 10,
            remove_liquidity_bps: 20,
            protocol_share_bps: 5_000,
            ..sol_fees()
        },
        pricing: sol_pricing(),
        borrow_rate: BorrowRateParams::default(),
    };
    let ix = t
        .env
        .set_custody_config_ix(admin.pubkey(), t.env.custody, params);
    t.env.send(&[ix], &[&admin]).unwrap();
    let (usdc, usdc_oracle) = (t.env.custody, t.env.oracle);
    let position = t.position_key_in(user.pubkey(), usdc, usdc, Side::Long);
    let mut accounts = t.open_accounts(Side::Long);
    accounts.custody = usdc;
    accounts.custody_oracle_account = usdc_oracle;
    accounts.position = position;
    let ix = t.open_ix_with(accounts, Side::Long, 100 * USD, 1_000 * USD, PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    let custody: Custody = t.env.account(usdc);
    assert_eq!(custody.long_positions.size_usd, 1_000 * USD);
    assert_eq!(custody.assets.locked, 1_000 * USD);
    assert_eq!(custody.assets.collateral, 99 * USD);
    t.assert_vault_balanced();
    let mut accounts = t.close_accounts(Side::Long);
    accounts.custody = usdc;
    accounts.custody_oracle_account = usdc_oracle;
    accounts.position = position;
    let ix = t.close_ix_with(accounts, 0);
    t.env.send(&[ix], &[&user]).unwrap();
    let custody: Custody = t.env.account(usdc);
    assert_eq!(custody.long_positions, Default::default());
    assert_eq!(custody.assets.locked, 0);
    assert_eq!(custody.assets.collateral, 0);
    t.assert_vault_balanced();
}

#[test]
fn borrow_interest_accrues_with_time_and_is_paid_on_close() {
    let mut t = setup_trading();
    open_long(&mut t);
    let user = t.env.user.insecure_clone();
    let usdc: Custody = t.env.account(t.env.custody);
    let rate = usdc.borrow_rate_state.current_rate;
    // locked 1_500 of owned 4_998.25 USDC: U = 30.01 %, rate = U * 80_000 / 80 %.
    assert_eq!(rate, 30_010);
    let aum_before: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).unwrap();

    // One hour later (oracles republished at the new time).
    t.env.advance_clock(3_600);
    t.set_sol_price(15_000_000_000);
    // The index grows by rate x seconds; interest = ceil(size x index / (RATE_POWER x 3_600)).
    let interest = (u128::from(rate) * 3_600 * u128::from(1_500 * USD)).div_ceil(3_600_000_000_000);
    let aum_after: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).unwrap();
    assert_eq!(aum_after - aum_before, interest);

    let ix = t.close_ix(Side::Long, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(u128::from(closed.interest_usd), interest);
    assert_eq!(closed.cumulative_interest, u128::from(rate) * 3_600);
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 0);
    assert_eq!(usdc.borrow_rate_state.interest_weighted, 0);
    assert_eq!(usdc.borrow_rate_state.current_rate, 0);
    t.assert_vault_balanced();
}

/// Finding 1: a short increase of one micro-USD adds the quantity it sells, rounded up (6_667
/// units of 10^-12 SOL at 150 USD), so the average entry cannot rise without exposure and a close
/// at the same price pays no profit.
#[test]
fn dust_short_increase_adds_exposure() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    let ix = t.increase_ix(Side::Short, 0, 1, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let increased: PositionIncreased = decode_event(&logs).expect("PositionIncreased");
    assert_eq!(increased.quantity_delta, 6_667);
    assert_eq!(increased.quantity, 10_000_000_006_667);
    let position: Position = t.env.account(t.position_key(user.pubkey(), Side::Short));
    assert_eq!(position.quantity, 10_000_000_006_667);
    // floor(1_500.000001 USD / 10.000000006667 SOL) = 149.999999999(995): the short's average
    // entry went DOWN.
    assert_eq!(position.price, 149_999_999_999);
    let ix = t.close_ix(Side::Short, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.profit_usd, 0);
    assert_eq!(closed.loss_usd, 1);
    t.assert_vault_balanced();
}
