//! `open_position`: opens a long or short on `custody` (the traded market), backed by collateral
//! in `collateral_custody` (a stable custody of the same pool). The open fee is taken from the
//! deposited collateral; `size_usd * max_payoff_mult_bps / BPS` USD of collateral-custody tokens
//! are locked for the payoff. One position per (owner, pool, custody, collateral custody, side):
//! a second open fails with InvalidPositionState (use `increase_position`).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        controller::{
            market::MarketSnapshot,
            position::{apply_open, OpenRequest, PositionAccounts},
        },
        errors::PerpPoolError,
        state::{
            custody::Custody,
            perpetuals::Perpetuals,
            pool::Pool,
            position::{Position, Side},
        },
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
#[instruction(params: OpenPositionParams)]
pub struct OpenPosition<'info> {
    /// Position owner; pays the position's rent; authority of `funding_account`.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Source of the collateral, in the collateral custody's token. (The collateral rule is
    /// checked here first, so a refused collateral custody is reported as such rather than as a
    /// mint mismatch.)
    #[account(
        mut,
        constraint = crate::math::backing::collateral_custody_allowed(params.side, custody.key() == collateral_custody.key(), collateral_custody.is_stable) @ PerpPoolError::InvalidCollateralCustody,
        constraint = funding_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody (its stats change).
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    /// A stable custody of the same pool, or `custody` itself for a long (asset-backed,
    /// `math::backing::collateral_custody_allowed`).
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump,
        constraint = crate::math::backing::collateral_custody_allowed(params.side, custody.key() == collateral_custody.key(), collateral_custody.is_stable) @ PerpPoolError::InvalidCollateralCustody
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    /// The collateral custody's vault.
    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// PDA `[POSITION_SEED, owner, pool, custody, collateral_custody, [side]]`; created here.
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + Position::INIT_SPACE,
        seeds = [
            POSITION_SEED,
            owner.key().as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[params.side.seed_byte()]
        ],
        bump
    )]
    pub position: Box<Account<'info, Position>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct OpenPositionParams {
    /// Worst acceptable entry price, PRICE_DECIMALS: a long fails (PriceSlippage) above it, a
    /// short below it.
    pub price_limit: u64,
    /// Collateral tokens taken from `funding_account`; the open fee is paid out of them.
    pub collateral_amount: u64,
    /// Position size, USD.
    pub size_usd: u64,
    pub side: Side,
}

pub fn handler(ctx: Context<OpenPosition>, params: &OpenPositionParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_open_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.size_usd > 0, PerpPoolError::ZeroAmount)?;
    validate!(params.collateral_amount > 0, PerpPoolError::ZeroAmount)?;
    validate!(
        ctx.accounts.position.size_usd == 0,
        PerpPoolError::InvalidPositionState
    )?;

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &accounts.custody,
        &accounts.custody_oracle_account.to_account_info(),
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate
    let opened = apply_open(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        &OpenRequest {
            owner: accounts.owner.key(),
            pool: accounts.pool.key(),
            side: params.side,
            price_limit: params.price_limit,
            collateral_in: params.collateral_amount,
            size_usd: params.size_usd,
            bump: ctx.bumps.position,
        },
    )?;

    // CPI
    Perpetuals::transfer_from_user(
        accounts.funding_account.to_account_info(),
        accounts.collateral_custody_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.collateral_amount,
    )?;
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    emit!(opened.event(
        accounts.pool.key(),
        accounts.position.key(),
        &accounts.position,
        params.collateral_amount,
        snapshot.collateral.cumulative_interest,
    ));
    Ok(())
}
