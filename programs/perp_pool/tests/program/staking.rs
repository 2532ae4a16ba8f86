//! LP lock-ups with yield boosts: the stake pool's accounts and vault, rewards routed by trades
//! and claimed to the unit, the lock rules and the named errors of bad input.

use crate::support::{pool::all_allowed, *};
use perp_pool::{
    constants::*,
    errors::PerpPoolError,
    events::{LpLocked, StakeRewardsClaimed},
    instructions::SetPermissionsParams,
    math::staking::REWARD_INDEX_POWER,
    state::custody::Custody,
    types::Tranche,
};
use solana_sdk::signature::Signer;

const WEEK: i64 = WEEK_SECONDS;

#[test]
fn init_creates_the_stake_pool_and_the_junior_vault() {
    let s = setup_staking();
    let pool = s.stake_pool();
    assert_eq!(pool.pool, s.t.env.pool);
    assert_eq!(pool.reward_custody, s.t.env.custody);
    assert_eq!(pool.tiers(), example_ladder().as_slice());
    assert_eq!(pool.vault(Tranche::Junior), s.stake_vault);
    assert!(!pool.is_open(Tranche::Senior));
    assert_eq!(pool.effective_junior_share_bps(), BPS_POWER);
    assert_eq!(s.t.env.token_balance(s.stake_vault), 0);
    // Allocated within the CPI limit.
    let data = s.t.env.node.account(&s.stake_pool).unwrap().data;
    assert!(data.len() <= 10_240, "{} bytes", data.len());
}

#[test]
fn rewards_arriving_with_nothing_staked_go_back_to_the_lps() {
    let mut s = setup_staking();
    let before: Custody = s.t.env.account(s.t.env.custody);
    s.trade_round();
    let routed: Custody = s.t.env.account(s.t.env.custody);
    assert_eq!(routed.stake_rewards_routed, 600_000);
    assert_eq!(routed.assets.stake_rewards, 600_000);
    s.t.env.send(&[s.update_ix()], &[]).unwrap();
    let after: Custody = s.t.env.account(s.t.env.custody);
    assert_eq!(after.assets.stake_rewards, 0);
    // The LPs got the fees' LP share and the stakers' share.
    assert_eq!(
        after.assets.owned - before.assets.owned,
        routed.assets.owned - before.assets.owned + 600_000
    );
    s.t.assert_vault_balanced();
}

#[test]
fn the_staker_is_paid_what_the_trades_routed_to_the_unit() {
    let mut s = setup_staking();
    let user = s.user();
    let lp = s.t.env.token_balance(s.t.env.user_lp);
    let logs = s.t.env.send_with_logs(&[s.lock_ix(lp, 4)], &[&user]);
    let locked: LpLocked = decode_event(&logs).expect("LpLocked");
    assert_eq!(locked.amount, lp);
    assert_eq!(u128::from(lp) * 3, locked.weight);
    assert!(locked.lock_end % WEEK == 0 && locked.lock_end >= s.t.env.now() + 364 * 86_400);
    assert_eq!(s.t.env.token_balance(s.stake_vault), lp);
    assert_eq!(s.t.env.token_balance(s.t.env.user_lp), 0);
    s.trade_round();
    s.trade_round();
    // 4 fees of 1 USD, 30 % each to the stakers: 1.2 USD, one staker of weight 3 x lp.
    let weight = u128::from(lp) * 3;
    let index = 1_200_000 * REWARD_INDEX_POWER / weight;
    let expected = u64::try_from(weight * index / REWARD_INDEX_POWER).unwrap();
    assert!(expected <= 1_200_000 && expected + 1 >= 1_200_000);
    assert_eq!(s.stake_state(user.pubkey()).earned, expected);
    let before = s.t.env.token_balance(s.t.env.user_token);
    let logs = s.t.env.send_with_logs(&[s.claim_ix()], &[&user]);
    let claimed: StakeRewardsClaimed = decode_event(&logs).expect("StakeRewardsClaimed");
    assert_eq!(claimed.amount, expected);
    assert_eq!(s.t.env.token_balance(s.t.env.user_token) - before, expected);
    let custody: Custody = s.t.env.account(s.t.env.custody);
    assert_eq!(custody.assets.stake_rewards, 1_200_000 - expected);
    s.t.assert_vault_balanced();
    // Nothing left to claim: a second claim changes nothing.
    s.t.env.next_slot();
    s.t.env
        .expect_error(&[s.claim_ix()], &[&user], PerpPoolError::ZeroAmount);
}

#[test]
fn a_lock_holds_until_its_end_and_no_lower_tier_is_accepted_meanwhile() {
    let mut s = setup_staking();
    let user = s.user();
    s.t.env
        .send(&[s.lock_ix(1_000 * USD, 2)], &[&user])
        .unwrap();
    s.t.env.next_slot();
    let end = s.stake(user.pubkey()).lock_end;
    for lower in [0, 1] {
        s.t.env.expect_error(
            &[s.lock_ix(USD, lower)],
            &[&user],
            PerpPoolError::LockShortened,
        );
    }
    s.t.env
        .expect_error(&[s.unlock_ix(USD)], &[&user], PerpPoolError::StakeLocked);
    s.t.env.advance_clock(end - s.t.env.now());
    s.t.env.next_slot();
    s.t.env.expect_error(
        &[s.unlock_ix(1_000 * USD + 1)],
        &[&user],
        PerpPoolError::InsufficientStake,
    );
    let lp = s.t.env.token_balance(s.t.env.user_lp);
    s.t.env.send(&[s.unlock_ix(400 * USD)], &[&user]).unwrap();
    assert_eq!(s.t.env.token_balance(s.t.env.user_lp), lp + 400 * USD);
    let state = s.state();
    assert_eq!((state.staked_amount, state.locked_amount), (600 * USD, 0));
    assert_eq!(state.total_weight, u128::from(600 * USD));
    // Ended: any tier again.
    s.t.env.send(&[s.lock_ix(0, 0)], &[&user]).unwrap();
}

#[test]
fn the_view_reports_locked_share_and_remaining_time() {
    let mut s = setup_staking();
    let user = s.user();
    let now = s.t.env.now();
    s.t.env
        .send(&[s.lock_ix(1_000 * USD, 1)], &[&user])
        .unwrap();
    let state = s.state();
    let end = s.stake(user.pubkey()).lock_end;
    assert_eq!(state.tranche, Tranche::Junior);
    assert!(state.open);
    assert_eq!(state.locked_amount, 1_000 * USD);
    // 5_000 USDC deposited less the fee: 4_995 USD of LP incl. the dead shares.
    assert_eq!(state.lp_supply, 4_995 * USD);
    assert_eq!(state.locked_share_bps, 1_000 * 10_000 / 4_995);
    assert_eq!(
        state.weighted_remaining_lock_sec,
        u64::try_from(end - now).unwrap()
    );
}

#[test]
fn frozen_lp_cannot_be_locked() {
    let mut s = setup_staking();
    let user = s.user();
    // A new deposit freezes the account again for its cooldown.
    let ix = s.t.add_liquidity_ix(10 * USD);
    s.t.env.send(&[ix], &[&user]).unwrap();
    s.t.env.expect_error(
        &[s.lock_ix(USD, 0)],
        &[&user],
        PerpPoolError::LiquidityCooldownActive,
    );
}

#[test]
fn the_pause_stops_new_locks_only() {
    let mut s = setup_staking();
    let user = s.user();
    let admin = s.t.env.admin.insecure_clone();
    s.t.env
        .send(&[s.lock_ix(1_000 * USD, 0)], &[&user])
        .unwrap();
    s.trade_round();
    let paused = SetPermissionsParams {
        allow_lp_staking: false,
        ..all_allowed()
    };
    let ix = s.t.env.set_permissions_ix(admin.pubkey(), paused);
    s.t.env.send(&[ix], &[&admin]).unwrap();
    s.t.env.expect_error(
        &[s.lock_ix(USD, 0)],
        &[&user],
        PerpPoolError::InstructionNotAllowed,
    );
    s.t.env.send(&[s.claim_ix()], &[&user]).unwrap();
    let end = s.stake(user.pubkey()).lock_end;
    s.t.env.advance_clock(end - s.t.env.now());
    s.t.env.next_slot();
    s.t.env.send(&[s.unlock_ix(1_000 * USD)], &[&user]).unwrap();
}

#[test]
fn every_tier_locks_so_stake_fee_unstake_in_one_transaction_fails() {
    let mut s = setup_staking();
    let user = s.user();
    let admin = s.t.env.admin.insecure_clone();
    // The shortest tier (7 days, 1x) still locks until a week boundary at least 7 days ahead.
    let lp = s.t.env.token_balance(s.t.env.user_lp);
    let open = s.t.open_ix(
        perp_pool::state::position::Side::Long,
        100 * USD,
        1_000 * USD,
        u64::MAX,
    );
    let close = s.t.close_ix(perp_pool::state::position::Side::Long, 0);
    // Lock at the lowest tier, let the trade route its fees to the stakers, unlock and claim:
    // all in one transaction. The unlock is refused, so nothing of it happens.
    let jit = [s.lock_ix(lp, 0), open, close, s.unlock_ix(lp), s.claim_ix()];
    s.t.env
        .expect_error(&jit, &[&user], PerpPoolError::StakeLocked);
    assert_eq!(s.t.env.token_balance(s.t.env.user_lp), lp);
    assert_eq!(s.t.env.token_balance(s.stake_vault), 0);
    // Locked for real, the LP is at risk until the end like every other staker's.
    s.t.env.send(&[s.lock_ix(lp, 0)], &[&user]).unwrap();
    let end = s.stake(user.pubkey()).lock_end;
    assert!(end % WEEK == 0 && end >= s.t.env.now() + 7 * DAY_SECONDS);
    s.t.env.next_slot();
    s.t.env
        .expect_error(&[s.unlock_ix(lp)], &[&user], PerpPoolError::StakeLocked);
    // And a ladder with a 0-day tier (no lock) is refused on chain.
    for ladder in [vec![(0, 10_000), (30, 11_000)], vec![(0, 10_000)]] {
        let ladder = ladder
            .into_iter()
            .map(
                |(duration_days, multiplier_bps)| perp_pool::types::LockTier {
                    duration_days,
                    multiplier_bps,
                },
            )
            .collect();
        let ix = s.set_config_ix(admin.pubkey(), ladder, 5_000);
        s.t.env
            .expect_error(&[ix], &[&admin], PerpPoolError::InvalidStakeConfig);
    }
    assert_eq!(s.stake_pool().tiers(), example_ladder().as_slice());
}

#[test]
fn wrong_accounts_get_named_errors() {
    let mut s = setup_staking();
    let user = s.user();
    let admin = s.t.env.admin.insecure_clone();
    s.t.env
        .send(&[s.lock_ix(1_000 * USD, 0)], &[&user])
        .unwrap();
    s.trade_round();
    // Another token account of the LP mint as the vault.
    let stranger_vault =
        s.t.env
            .create_token_account(s.t.env.lp_mint, s.t.env.transfer_authority);
    let mut a = s.lock_accounts(user.pubkey(), s.t.env.user_lp);
    a.stake_vault = stranger_vault;
    let ix = s.lock_ix_with(a, USD, 0);
    s.t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidVault);
    // The SOL custody is a custody of the pool but not the reward custody.
    let mut a = s.unlock_accounts(user.pubkey(), s.t.env.user_lp);
    a.reward_custody = s.t.sol_custody;
    let ix = s.unlock_ix_with(a, USD);
    s.t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidRewardCustody);
    // A mint that is not one of the pool's LP mints (with the stake address it implies).
    let other_mint = s.t.env.mint;
    let mut a = s.lock_accounts(user.pubkey(), s.t.env.user_token);
    a.lp_token_mint = other_mint;
    a.stake = pda(&[
        STAKE_SEED,
        s.stake_pool.as_ref(),
        other_mint.as_ref(),
        user.pubkey().as_ref(),
    ]);
    let ix = s.lock_ix_with(a, USD, 0);
    s.t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidLpTokenMint);
    // Someone else claiming the user's stake.
    let thief = solana_sdk::signature::Keypair::new();
    s.t.env.fund(thief.pubkey(), 1_000_000_000);
    let thief_token = s.t.env.create_token_account(s.t.env.mint, thief.pubkey());
    let mut a = s.claim_accounts(thief.pubkey(), thief_token);
    a.stake = s.stake_key(user.pubkey());
    let ix = s.claim_ix_with(a);
    s.t.env
        .expect_error(&[ix], &[&thief], PerpPoolError::Unauthorized);
    // The junior slot already has its vault.
    let ix = s.add_stake_vault_ix(s.t.env.lp_mint, s.stake_vault);
    s.t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::StakeVaultExists);
    // Nobody but the admin configures.
    let ix = s.set_config_ix(user.pubkey(), example_ladder(), 5_000);
    s.t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized);
    let mut bad = example_ladder();
    bad.swap(1, 2);
    let ix = s.set_config_ix(admin.pubkey(), bad, 5_000);
    s.t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InvalidStakeConfig);
    // The lock of a tier the ladder does not have.
    s.t.env.expect_error(
        &[s.lock_ix(USD, 5)],
        &[&user],
        PerpPoolError::InvalidLockTier,
    );
}
