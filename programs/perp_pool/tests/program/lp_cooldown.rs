//! Finding 6: the LP a deposit mints stays frozen in the depositor's own account until the slot
//! after the deposit and the pool's cooldown; only that capital is held back.

use crate::support::*;
use anchor_spl::token::spl_token;
use perp_pool::{
    errors::PerpPoolError,
    events::{LiquidityAdded, LpUnlocked},
    state::pool::Pool,
};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// A pool with a one-hour LP cooldown and the user's 1_000 USDC deposit in it; returns the
/// deposit's time.
fn deposited_with_cooldown() -> (Env, i64) {
    let mut env = setup_with_cooldown(3_600);
    let pool: Pool = env.account(env.pool);
    assert_eq!(pool.lp_cooldown_sec, 3_600);
    let user = env.user.insecure_clone();
    let now = env.now();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    let logs = env.send_with_logs(&[ix], &[&user]);
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded");
    assert_eq!(event.unlock_time, now + 3_600);
    assert!(env.is_frozen(env.user_lp));
    (env, now)
}

#[test]
fn lp_stays_frozen_until_the_cooldown_ends() {
    let (mut env, _) = deposited_with_cooldown();
    let user = env.user.insecure_clone();
    // Next slot, cooldown not over: no redemption, no unlock, no transfer.
    env.next_slot();
    env.set_price(100_000_000, 0);
    let ix = env.remove_liquidity_ix(1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive);
    let ix = made_unique(env.unlock_lp_ix(env.user_lp));
    env.expect_error(&[ix], &[], PerpPoolError::LiquidityCooldownActive);
    let other = Keypair::new();
    let other_lp = env.create_token_account(env.lp_mint, other.pubkey());
    let ix = env.transfer_lp_ix(other_lp, 1_000_000);
    let err = env.send(&[ix], &[&user]).expect_err("frozen");
    assert_eq!(
        err.custom_code(),
        Some(spl_token::error::TokenError::AccountFrozen as u32)
    );

    // One second short of the cooldown: still held.
    env.advance_clock(3_599);
    env.set_price(100_000_000, 0);
    let ix = env.remove_liquidity_ix(1_000_001, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive);
}

#[test]
fn anyone_unlocks_the_lp_once_the_cooldown_is_over() {
    let (mut env, _) = deposited_with_cooldown();
    let user = env.user.insecure_clone();
    let other_lp = env.create_token_account(env.lp_mint, Pubkey::new_unique());
    env.next_slot();
    env.advance_clock(3_600);
    env.set_price(100_000_000, 0);
    // Cooldown over: anyone may unlock; then the LP moves and redeems freely.
    let ix = env.unlock_lp_ix(env.user_lp);
    let logs = env.send_with_logs(&[ix], &[]);
    let unlocked: LpUnlocked = decode_event(&logs).expect("LpUnlocked");
    assert_eq!(unlocked.lp_token_account, env.user_lp);
    assert_eq!(unlocked.owner, user.pubkey());
    assert!(!env.is_frozen(env.user_lp));
    // Not frozen any more: a second unlock has nothing to do (a different transaction: the
    // bank deduplicates identical ones).
    let ix = made_unique(env.unlock_lp_ix(env.user_lp));
    env.expect_error(&[ix], &[], PerpPoolError::LiquidityCooldownActive);
    let ix = env.transfer_lp_ix(other_lp, 1_000_002);
    env.send(&[ix], &[&user]).unwrap();
    let ix = env.remove_liquidity_ix(2_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
}

/// The same-slot defence holds back only the capital that deposited. A stranger's dust deposit
/// in the slot of someone else's withdrawal (here in the same transaction) no longer blocks it.
#[test]
fn strangers_deposit_does_not_block_a_withdrawal() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    env.next_slot();
    env.set_price(100_000_000, 0);

    let stranger = Keypair::new();
    env.fund(stranger.pubkey(), 1_000_000_000);
    let stranger_token = env.create_token_account(env.mint, stranger.pubkey());
    let stranger_lp = env.create_token_account(env.lp_mint, stranger.pubkey());
    env.mint_to(env.mint, stranger_token, 10_000_000);
    let mut accounts = env.add_liquidity_accounts();
    accounts.owner = stranger.pubkey();
    accounts.funding_account = stranger_token;
    accounts.lp_token_account = stranger_lp;
    accounts.lp_cooldown = env.lp_cooldown(stranger_lp);
    let dust = env.add_liquidity_ix(accounts, 10_000, 0);
    let withdraw = env.remove_liquidity_ix(100_000_000, 0);
    env.send(&[dust, withdraw], &[&stranger, &user]).unwrap();
    assert!(env.is_frozen(stranger_lp));
    assert!(!env.is_frozen(env.user_lp));
    // The stranger's own LP is held in that slot.
    let mut accounts = env.remove_liquidity_accounts();
    accounts.owner = stranger.pubkey();
    accounts.receiving_account = stranger_token;
    accounts.lp_token_account = stranger_lp;
    accounts.lp_cooldown = env.lp_cooldown(stranger_lp);
    let ix = env.remove_liquidity_ix_with(accounts, 1, 0);
    env.expect_error(&[ix], &[&stranger], PerpPoolError::LiquidityCooldownActive);
}

/// LP can only be minted into the depositor's own account (else a deposit could freeze someone
/// else's LP).
#[test]
fn deposit_into_someone_elses_lp_account_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let other_lp = env.create_token_account(env.lp_mint, Pubkey::new_unique());
    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_token_account = other_lp;
    accounts.lp_cooldown = env.lp_cooldown(other_lp);
    let ix = env.add_liquidity_ix(accounts, 1_000_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidLpTokenAccount);
}

/// The cooldown record a deposit names must be its LP account's PDA.
#[test]
fn deposit_with_another_accounts_cooldown_record_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let other_lp = env.create_token_account(env.lp_mint, Pubkey::new_unique());
    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_cooldown = env.lp_cooldown(other_lp);
    let ix = env.add_liquidity_ix(accounts, 1_000_000_000, 0);
    let err = env.send(&[ix], &[&user]).expect_err("wrong PDA");
    assert_eq!(
        err.custom_code(),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
}

/// The cooldown record a withdrawal names must be its LP account's PDA.
#[test]
fn withdrawal_with_another_accounts_cooldown_record_is_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let other_lp = env.create_token_account(env.lp_mint, Pubkey::new_unique());
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).unwrap();
    env.next_slot();
    env.set_price(100_000_000, 0);
    let mut accounts = env.remove_liquidity_accounts();
    accounts.lp_cooldown = env.lp_cooldown(other_lp);
    let ix = env.remove_liquidity_ix_with(accounts, 1_000_000, 0);
    let err = env.send(&[ix], &[&user]).expect_err("wrong PDA");
    assert_eq!(
        err.custom_code(),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
}
