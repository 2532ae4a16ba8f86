//! The simulate-only views agree with what trades do: entry quote, liquidation price, PnL, exit
//! price, oracle prices and AUM (which `update_pool_aum` stores); and they check the custody
//! accounts they are given.

use crate::support::*;
use perp_pool::{
    accounts,
    errors::PerpPoolError,
    instruction,
    instructions::*,
    math::pnl::ProfitAndLoss,
    state::{custody::Custody, pool::Pool, position::Side},
};
use solana_sdk::instruction::AccountMeta;

#[test]
fn entry_quote_matches_the_opened_position() {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let view = ix(
        accounts::GetEntryPriceAndFee {
            perpetuals: t.env.perpetuals,
            pool: t.env.pool,
            custody: t.sol_custody,
            custody_oracle_account: t.sol_oracle,
            collateral_custody: t.env.custody,
            collateral_custody_oracle_account: t.env.oracle,
        },
        instruction::GetEntryPriceAndFee {
            params: GetEntryPriceAndFeeParams {
                collateral_amount: 100 * USD,
                size_usd: 1_500 * USD,
                side: Side::Long,
            },
        },
    );
    let quote: NewPositionPricesAndFee = t.env.view(view).unwrap();
    assert_eq!(quote.price, 150 * PRICE);
    assert_eq!(quote.fee_usd, 1_500_000);
    assert_eq!(quote.fee_amount, 1_500_000);
    assert_eq!(quote.liquidation_price, 141_800_000_000);

    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    assert_eq!(t.liquidation_price(Side::Long), quote.liquidation_price);
}

/// The user's long of 1_500 USD at 150 USD, then SOL at 165 USD (+10 %).
fn long_in_profit() -> Trading {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    t.set_sol_price(16_500_000_000);
    t
}

#[test]
fn position_views_follow_the_price() {
    let mut t = long_in_profit();
    assert_eq!(
        t.pnl(Side::Long),
        ProfitAndLoss {
            profit_usd: 150 * USD,
            loss_usd: 0
        }
    );
    let view = ix(
        t.position_view_accounts(Side::Long),
        instruction::GetExitPriceAndFee {},
    );
    let exit: PriceAndFee = t.env.view(view).unwrap();
    assert_eq!(exit.price, 165 * PRICE);
    assert_eq!(exit.fee_usd, 1_500_000);

    let view = ix(
        accounts::GetOraclePrice {
            perpetuals: t.env.perpetuals,
            pool: t.env.pool,
            custody: t.sol_custody,
            custody_oracle_account: t.sol_oracle,
        },
        instruction::GetOraclePrice {},
    );
    let prices: OraclePrices = t.env.view(view).unwrap();
    assert_eq!(
        prices,
        OraclePrices {
            spot: 165 * PRICE,
            ema: 165 * PRICE,
            min: 165 * PRICE,
            max: 165 * PRICE
        }
    );
}

/// The pool is the long's counterparty: AUM falls by the long's profit (net of its aggregate
/// quantity rounding), and update_pool_aum stores it.
#[test]
fn aum_view_nets_the_traders_profit_and_update_pool_aum_stores_it() {
    let mut t = long_in_profit();
    let aum: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).unwrap();
    let usdc: Custody = t.env.account(t.env.custody);
    assert_eq!(aum, u128::from(usdc.assets.owned) - 150 * u128::from(USD));
    let mut update = ix(
        accounts::UpdatePoolAum {
            perpetuals: t.env.perpetuals,
            pool: t.env.pool,
        },
        instruction::UpdatePoolAum {},
    );
    update.accounts.extend(
        t.aum_remaining()
            .into_iter()
            .map(|key| AccountMeta::new(key, false)),
    );
    t.env.send(&[update], &[]).unwrap();
    let pool: Pool = t.env.account(t.env.pool);
    assert_eq!(pool.aum_usd, aum);
}

#[test]
fn view_rejects_missing_custody_accounts() {
    let mut env = setup();
    let err = env.view::<u128>(env.aum_ix(&[])).expect_err("must fail");
    assert_eq!(
        err.custom_code(),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
}

#[test]
fn view_rejects_custody_and_oracle_swapped() {
    let mut env = setup();
    let err = env
        .view::<u128>(env.aum_ix(&[env.oracle, env.custody]))
        .expect_err("must fail");
    assert_eq!(
        err.custom_code(),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
}
