//! LP deposits and withdrawals: amounts, fees, dead shares, slippage guards, the accounts a
//! deposit must name, and pools with more than one custody.

use crate::support::*;
use perp_pool::{
    constants::*,
    errors::PerpPoolError,
    events::LiquidityAdded,
    state::{custody::Custody, lp_cooldown::LpCooldown, pool::Pool},
};
use solana_sdk::pubkey::Pubkey;

#[test]
fn setup_records_pool_and_custody() {
    let env = setup();
    let pool: Pool = env.account(env.pool);
    assert_eq!(pool.name, "main");
    assert_eq!(pool.custodies, vec![env.custody]);
    assert_eq!(pool.lp_token_mint, env.lp_mint);
    let custody: Custody = env.account(env.custody);
    assert_eq!(custody.oracle.oracle_account, env.oracle);
    assert_eq!(custody.token_account, env.vault);
    assert_eq!(custody.decimals, 6);
}

#[test]
fn add_then_remove_liquidity_moves_tokens_and_lp() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let now = env.now();
    // 10 bps fee: 999 USD deposited, of which 1 USD of LP (DEAD_LP_SUPPLY) goes to no one.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 998_000_001);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded);
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 998_000_000);
    let logs = env.send_with_logs(&[ix], &[&user]);
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded event");
    assert_eq!(event.amount_in, 1_000_000_000);
    assert_eq!(event.lp_amount_out, 998_000_000);
    assert_eq!(event.dead_lp_amount, DEAD_LP_SUPPLY);
    assert_eq!(event.fee_amount, 1_000_000);
    assert_eq!(event.protocol_fee_amount, 500_000);
    // Supply including the dead shares.
    assert_eq!(event.lp_supply, 999_000_000);
    // No cooldown in this pool: unlocked from the next slot on.
    assert_eq!(event.unlock_time, now);
    // 10 bps fee: 1_000_000 fee, LP = 999 USD; protocol gets half the fee.
    assert_eq!(env.token_balance(env.user_lp), 998_000_000);
    assert_eq!(env.token_balance(env.vault), 1_000_000_000);
    assert!(env.is_frozen(env.user_lp));
    let custody: Custody = env.account(env.custody);
    assert_eq!(custody.assets.owned, 999_500_000);
    assert_eq!(custody.assets.protocol_fees, 500_000);
    let pool: Pool = env.account(env.pool);
    assert_eq!(pool.aum_usd, 999_500_000);
    assert_eq!(pool.dead_lp_supply, DEAD_LP_SUPPLY);
    let cooldown: LpCooldown = env.account(env.lp_cooldown(env.user_lp));
    assert_eq!(cooldown.pool, env.pool);
    assert_eq!(cooldown.lp_token_account, env.user_lp);
    assert_eq!(cooldown.deposit_slot, event.slot);
    assert_eq!(cooldown.unlock_time, now);

    // LP price = floor(999.5 / 999 * 1e6), the supply counting the dead shares.
    let price: u64 = env.view(env.lp_price_ix()).unwrap();
    assert_eq!(price, 1_000_500);
    let aum: u128 = env.view(env.aum_ix(&[env.custody, env.oracle])).unwrap();
    assert_eq!(aum, 999_500_000);

    // Same slot as the deposit: the deposited LP is held back.
    let ix = env.remove_liquidity_ix(100_000_001, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive);

    env.next_slot();
    env.set_price(100_000_000, 0);
    let before = env.token_balance(env.user_token);
    let ix = env.remove_liquidity_ix(100_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    // usd = floor(1e8 * 999_500_000 / 999_000_000) = 100_050_050; fee ceil(20 bps) = 200_101.
    let received = env.token_balance(env.user_token) - before;
    assert_eq!(received, 100_050_050 - 200_101);
    assert_eq!(env.token_balance(env.user_lp), 898_000_000);
    // The redemption thawed the account.
    assert!(!env.is_frozen(env.user_lp));
    let custody: Custody = env.account(env.custody);
    // Vault = owned + protocol fees, always.
    assert_eq!(
        env.token_balance(env.vault),
        custody.assets.owned + custody.assets.protocol_fees
    );
}

/// Finding 3: the first deposit must be worth more than the dead shares, which stay in the
/// supply when every LP has redeemed, so the next depositor cannot take what the pool still owns.
#[test]
fn first_deposit_pays_for_the_dead_shares_and_supply_never_returns_to_zero() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    // 1.001 USDC less the 10 bps fee (1_002 units) is below 1 USD of dead shares.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_001_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::ZeroAmount);
    // 2 USDC: deposit_usd 1_998_000, LP 998_000 to the user, 1_000_000 dead.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 2_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    assert_eq!(env.token_balance(env.user_lp), 998_000);
    env.next_slot();
    env.set_price(100_000_000, 0);
    // Everything the user holds: LP supply 0, the dead shares remain.
    let ix = env.remove_liquidity_ix(998_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    assert_eq!(env.mint_state(env.lp_mint).supply, 0);
    let pool: Pool = env.account(env.pool);
    assert_eq!(pool.dead_lp_supply, DEAD_LP_SUPPLY);
    // The pool still owns about 1 USD; LP is priced against it and the dead shares.
    let custody: Custody = env.account(env.custody);
    let owned = custody.assets.owned;
    assert!(owned > 1_000_000);
    // Price = floor(aum_min * 10^6 / DEAD_LP_SUPPLY) = aum_min = owned (USDC at 1 USD).
    let price: u64 = env.view(env.lp_price_ix()).unwrap();
    assert_eq!(price, owned);
    // The next deposit buys LP at that price, not at 1 USD.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 10_000_000, 0);
    let logs = env.send_with_logs(&[ix], &[&user]);
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded");
    assert_eq!(event.dead_lp_amount, 0);
    assert_eq!(
        u128::from(event.lp_amount_out),
        u128::from(event.deposit_usd) * u128::from(DEAD_LP_SUPPLY) / event.aum_max_usd
    );
}

#[test]
fn slippage_guard_rejects_deposit() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 999_000_001);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded);
}

#[test]
fn zero_deposit_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 0, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::ZeroAmount);
}

#[test]
fn withdrawal_slippage_guard() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    env.next_slot();
    env.set_price(100_000_000, 0);
    let ix = env.remove_liquidity_ix(100_000_000, 100_000_000);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded);
}

#[test]
fn deposit_into_a_foreign_vault_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let mut accounts = env.add_liquidity_accounts();
    accounts.custody_token_account = env.user_token;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidVault);
}

#[test]
fn deposit_priced_by_a_foreign_oracle_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let mut accounts = env.add_liquidity_accounts();
    accounts.custody_oracle_account = env.custody;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAccount);
}

#[test]
fn deposit_funded_in_another_mint_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let mut accounts = env.add_liquidity_accounts();
    accounts.funding_account = env.user_lp;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidMint);
}

#[test]
fn deposit_minting_into_a_non_lp_account_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_token_account = env.user_token;
    accounts.lp_cooldown = env.lp_cooldown(env.user_token);
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidLpTokenMint);
}

/// `setup()` plus a second (SOL-like, 9 decimals) custody at 150 USD: (custody, oracle).
fn with_second_custody(env: &mut Env) -> (Pubkey, Pubkey) {
    let (_, sol_custody) = env.add_custody(9);
    let sol_oracle = pda(&[ORACLE_SEED, sol_custody.as_ref()]);
    env.set_price_of(sol_custody, 15_000_000_000); // 150 USD
    (sol_custody, sol_oracle)
}

#[test]
fn deposit_without_the_other_custodies_is_rejected() {
    let mut env = setup();
    with_second_custody(&mut env);
    let user = env.user.insecure_clone();
    // Without the SOL custody and oracle the pool cannot be valued.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidCustodyAccounts);
}

#[test]
fn deposit_with_a_custody_in_place_of_its_oracle_is_rejected() {
    let mut env = setup();
    let (sol_custody, _) = with_second_custody(&mut env);
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    let ix = with_remaining(ix, &[sol_custody, env.oracle]);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAccount);
}

#[test]
fn second_custody_requires_other_custodies_as_remaining_accounts() {
    let mut env = setup();
    let (sol_custody, sol_oracle) = with_second_custody(&mut env);
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    let ix = with_remaining(ix, &[sol_custody, sol_oracle]);
    env.send(&[ix], &[&user]).unwrap();
    assert_eq!(env.token_balance(env.user_lp), 998_000_000);

    // The views take every custody, in pool order.
    let aum: u128 = env
        .view(env.aum_ix(&[env.custody, env.oracle, sol_custody, sol_oracle]))
        .unwrap();
    assert_eq!(aum, 999_500_000);
    let err = env
        .view::<u128>(env.aum_ix(&[sol_custody, sol_oracle, env.custody, env.oracle]))
        .expect_err("wrong order");
    assert_eq!(
        err.custom_code(),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
}
