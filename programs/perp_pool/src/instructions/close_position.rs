//! `close_position`: closes the whole position at the current exit price. Collateral plus the
//! capped profit pays the loss and all accrued interest (to LPs), then the close fee; the owner
//! receives the rest and the position's rent. If that cannot cover loss + interest, the insurance
//! fund covers the difference and any remainder is recorded as bad debt (the owner gets nothing).

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED, TRANSFER_AUTHORITY_SEED,
        },
        controller::{
            market::MarketSnapshot,
            position::{apply_decrease, PositionAccounts},
        },
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct ClosePosition<'info> {
    /// Position owner; receives the position's rent.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Receives what the position pays out, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the vault.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

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

    #[account(
        mut,
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
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// Closed by this instruction (rent to `owner`).
    #[account(
        mut,
        seeds = [
            POSITION_SEED,
            position.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[position.side.seed_byte()]
        ],
        bump = position.bump,
        has_one = owner @ PerpPoolError::Unauthorized,
        close = owner
    )]
    pub position: Box<Account<'info, Position>>,

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct ClosePositionParams {
    /// Worst acceptable exit price, PRICE_DECIMALS: a long fails (PriceSlippage) below it, a
    /// short above it.
    pub price_limit: u64,
}

pub fn handler(ctx: Context<ClosePosition>, params: &ClosePositionParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    let size_usd = ctx.accounts.position.size_usd;
    validate!(size_usd > 0, PerpPoolError::InvalidPositionState)?;

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

    // math + mutate (the account is closed by Anchor, rent to the owner)
    let settled = apply_decrease(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
        size_usd,
        params.price_limit,
    )?;

    // CPI
    if settled.amounts.amount_out > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            settled.amounts.amount_out,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    emit!(settled.decreased_event(
        accounts.pool.key(),
        accounts.position.key(),
        &accounts.position
    ));
    Ok(())
}
