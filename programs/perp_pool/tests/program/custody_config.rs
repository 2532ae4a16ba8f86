//! Custodies: how many a pool holds, and the fee and pricing parameters `add_custody` and
//! `set_custody_config` accept.

use crate::support::*;
use perp_pool::{
    constants::*,
    errors::PerpPoolError,
    instructions::SetCustodyConfigParams,
    state::{
        custody::{BorrowRateParams, Custody, Fees, PricingParams},
        pool::Pool,
    },
};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn ninth_custody_is_rejected() {
    let mut env = setup();
    for _ in 1..MAX_CUSTODIES {
        env.add_custody(6);
    }
    let pool: Pool = env.account(env.pool);
    assert_eq!(pool.custodies.len(), usize::from(MAX_CUSTODIES));
    let mint = env.create_mint(6);
    let ix = env.add_custody_ix(mint, Fees::default());
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], PerpPoolError::TooManyCustodies);
}

#[test]
fn custody_fee_above_100_percent_is_rejected() {
    let mut env = setup();
    let mint = env.create_mint(6);
    let fees = Fees {
        add_liquidity_bps: 10_001,
        ..Fees::default()
    };
    let ix = env.add_custody_ix(mint, fees);
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig);
}

/// The liquidation fee must be at least the close fee (the reward is paid after it), so an owner
/// liquidating its own position is never paid more than a close.
#[test]
fn liquidation_fee_below_close_fee_is_rejected() {
    let mut env = setup();
    let admin = env.admin.insecure_clone();
    let fees = |liquidation_bps| Fees {
        close_position_bps: 10,
        liquidation_bps,
        ..Fees::default()
    };
    let mint = env.create_mint(6);
    let ix = env.add_custody_ix(mint, fees(9));
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig);
    let ix = env.add_custody_ix(mint, fees(10));
    env.send(&[ix], &[&admin]).unwrap();
}

/// `set_custody_config` of the SOL custody with `pricing`, signed by `signer`.
fn sol_config_ix(
    t: &Trading,
    signer: Pubkey,
    pricing: PricingParams,
) -> solana_sdk::instruction::Instruction {
    t.env.set_custody_config_ix(
        signer,
        t.sol_custody,
        SetCustodyConfigParams {
            oracle: t.env.custom_oracle(),
            fees: sol_fees(),
            pricing,
            borrow_rate: BorrowRateParams::default(),
        },
    )
}

#[test]
fn only_admin_sets_custody_config() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = sol_config_ix(&t, user.pubkey(), sol_pricing());
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized);
}

#[test]
fn custody_config_with_a_full_spread_is_rejected() {
    let mut t = setup_trading();
    let admin = t.env.admin.insecure_clone();
    let bad = PricingParams {
        trade_spread_long_bps: 10_000,
        ..sol_pricing()
    };
    let ix = sol_config_ix(&t, admin.pubkey(), bad);
    t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig);
}

#[test]
fn admin_widens_a_spread() {
    let mut t = setup_trading();
    let admin = t.env.admin.insecure_clone();
    let wider = PricingParams {
        trade_spread_long_bps: 10,
        ..sol_pricing()
    };
    let ix = sol_config_ix(&t, admin.pubkey(), wider);
    t.env.send(&[ix], &[&admin]).unwrap();
    let sol: Custody = t.env.account(t.sol_custody);
    assert_eq!(sol.pricing.trade_spread_long_bps, 10);
    assert_eq!(sol.oracle.oracle_account, t.sol_oracle);
}
