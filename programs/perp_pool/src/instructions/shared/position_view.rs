//! `PositionView`: the accounts of the read-only position views (get_pnl, get_liquidation_price,
//! get_liquidation_state, get_exit_price_and_fee): one struct, so the four can never disagree on
//! how a position, its market and its collateral custody are validated.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct PositionView<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        seeds = [
            POSITION_SEED,
            position.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[position.side.seed_byte()]
        ],
        bump = position.bump
    )]
    pub position: Box<Account<'info, Position>>,
}
