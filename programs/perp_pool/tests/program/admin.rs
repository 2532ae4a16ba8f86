//! The admin's instructions: pause switches, pools, protocol fee withdrawal and the two-step
//! admin transfer; each refuses anyone but the admin.

use crate::support::{pool::all_allowed, *};
use anchor_spl::token::spl_token;
use perp_pool::{
    accounts,
    constants::*,
    errors::PerpPoolError,
    instruction,
    instructions::*,
    state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Side},
};
use solana_sdk::{
    instruction::Instruction,
    program_option::COption,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

fn deposits_paused() -> SetPermissionsParams {
    SetPermissionsParams {
        allow_add_liquidity: false,
        ..all_allowed()
    }
}

#[test]
fn only_admin_can_pause() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let ix = env.set_permissions_ix(user.pubkey(), deposits_paused());
    env.expect_error(&[ix], &[&user], PerpPoolError::Unauthorized);
}

#[test]
fn paused_deposits_are_rejected() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let admin = env.admin.insecure_clone();
    let ix = env.set_permissions_ix(admin.pubkey(), deposits_paused());
    env.send(&[ix], &[&admin]).unwrap();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed);
}

#[test]
fn only_admin_adds_a_pool() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    env.fund(user.pubkey(), 1_000_000_000);
    let ix = env.add_pool_ix(user.pubkey(), "other");
    env.expect_error(&[ix], &[&user], PerpPoolError::Unauthorized);
}

#[test]
fn empty_pool_name_is_rejected() {
    let mut env = setup();
    let admin = env.admin.insecure_clone();
    let ix = env.add_pool_ix(admin.pubkey(), "");
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolName);
}

#[test]
fn pool_name_longer_than_a_seed_is_rejected() {
    let mut env = setup();
    let admin = env.admin.insecure_clone();
    // A 33-byte name cannot even be a seed; build the instruction with a dummy pool key.
    let mut ix = env.add_pool_ix(admin.pubkey(), "placeholder");
    ix.data = anchor_lang::InstructionData::data(&instruction::AddPool {
        params: AddPoolParams {
            name: "x".repeat(33),
            lp_cooldown_sec: 0,
        },
    });
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolName);
}

/// The LP cooldown is at most MAX_LP_COOLDOWN_SEC; the LP mint's freeze authority is the
/// transfer authority (it enforces the cooldown).
#[test]
fn pool_lp_cooldown_is_bounded_and_its_lp_mint_freezable() {
    let mut env = setup();
    let admin = env.admin.insecure_clone();
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "other", MAX_LP_COOLDOWN_SEC + 1);
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolConfig);
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "other", MAX_LP_COOLDOWN_SEC);
    env.send(&[ix], &[&admin]).unwrap();
    let pool: Pool = env.account(pda(&[POOL_SEED, b"other"]));
    assert_eq!(pool.lp_cooldown_sec, MAX_LP_COOLDOWN_SEC);
    assert_eq!(pool.dead_lp_supply, 0);
    let mint = env.mint_state(pool.lp_token_mint);
    assert_eq!(mint.freeze_authority, COption::Some(env.transfer_authority));
}

fn withdraw_protocol_fees_ix(
    t: &Trading,
    signer: Pubkey,
    receiver: Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        accounts::WithdrawProtocolFees {
            admin: signer,
            perpetuals: t.env.perpetuals,
            transfer_authority: t.env.transfer_authority,
            pool: t.env.pool,
            custody: t.env.custody,
            custody_token_account: t.env.vault,
            receiving_account: receiver,
            token_program: spl_token::ID,
        },
        instruction::WithdrawProtocolFees {
            params: WithdrawProtocolFeesParams { amount },
        },
    )
}

#[test]
fn admin_withdraws_at_most_the_protocol_fees() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let admin = t.env.admin.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();

    // Protocol fees: 50 % of the deposit fee (2.5) and of the open fee (0.75).
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(usdc.assets.protocol_fees, 2_500_000 + 750_000);
    let receiver = t.env.create_token_account(t.env.mint, admin.pubkey());
    let ix = withdraw_protocol_fees_ix(&t, user.pubkey(), receiver, 1);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized);
    let ix = withdraw_protocol_fees_ix(&t, admin.pubkey(), receiver, 3_250_001);
    t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InsufficientLiquidity);
    let ix = withdraw_protocol_fees_ix(&t, admin.pubkey(), receiver, 3_250_000);
    t.env.send(&[ix], &[&admin]).unwrap();
    assert_eq!(t.env.token_balance(receiver), 3_250_000);
    t.assert_vault_balanced();
}

#[test]
fn two_step_admin_transfer() {
    let mut env = setup();
    let user = env.user.insecure_clone();
    let admin = env.admin.insecure_clone();
    let new_admin = Keypair::new();
    let transfer = ix(
        accounts::TransferAdmin {
            admin: admin.pubkey(),
            perpetuals: env.perpetuals,
        },
        instruction::TransferAdmin {
            params: TransferAdminParams {
                new_admin: new_admin.pubkey(),
            },
        },
    );
    env.send(&[transfer], &[&admin]).unwrap();
    let perpetuals_key = env.perpetuals;
    let accept = move |signer: Pubkey| {
        ix(
            accounts::AcceptAdmin {
                new_admin: signer,
                perpetuals: perpetuals_key,
            },
            instruction::AcceptAdmin {},
        )
    };
    env.expect_error(
        &[accept(user.pubkey())],
        &[&user],
        PerpPoolError::Unauthorized,
    );
    env.send(&[accept(new_admin.pubkey())], &[&new_admin])
        .unwrap();
    let perpetuals: Perpetuals = env.account(env.perpetuals);
    assert_eq!(perpetuals.admin, new_admin.pubkey());
    assert_eq!(perpetuals.pending_admin, Pubkey::default());
}
