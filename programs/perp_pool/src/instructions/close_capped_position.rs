//! `close_capped_position` (permissionless): closes a whole position whose UNCAPPED profit at the
//! current exit price is at least its payoff cap valued high (`math::trade::is_capped`), so a capped position does not linger in the pool valuation
//! (docs/design.md "Close at cap"). Settled exactly as `close_position`,
//! except that the keeper's reward (`liquidator_reward_usd(size, liquidator_reward_bps)` in
//! collateral tokens, max price, ceil, at most the profit paid) is taken out of what the owner
//! would receive, never out of the LPs' claim or the fee. The owner's amount goes to `receiving_account`, a token account of
//! the collateral mint owned by the owner; the position's rent goes to the owner. Fails with
//! PositionNotCapped otherwise. Allowed only while closes are allowed.

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED, TRANSFER_AUTHORITY_SEED,
        },
        controller::{
            market::MarketSnapshot,
            position::{apply_close_at_cap, PositionAccounts},
        },
        errors::PerpPoolError,
        events::CappedPositionClosed,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct CloseCappedPosition<'info> {
    /// Anyone; receives the reward in `keeper_receiving_account`.
    #[account(mut)]
    pub keeper: Signer<'info>,

    /// CHECK: the position's owner (`has_one` on `position`); receives the position's rent.
    #[account(mut)]
    pub owner: UncheckedAccount<'info>,

    /// Receives what the position pays its owner: a token account of the collateral mint owned
    /// by the position's owner.
    #[account(
        mut,
        constraint = receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint,
        constraint = receiving_account.owner == position.owner @ PerpPoolError::Unauthorized
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// Receives the keeper's reward, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = keeper_receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub keeper_receiving_account: Box<Account<'info, TokenAccount>>,

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

pub fn handler(ctx: Context<CloseCappedPosition>) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(
        ctx.accounts.position.size_usd > 0,
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

    // math + mutate (the account is closed by Anchor, rent to the owner)
    let settled = apply_close_at_cap(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
    )?;

    // CPI
    let paid = &settled.amounts;
    if paid.amount_out > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            paid.amount_out,
        )?;
    }
    if paid.paid.reward_paid > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.keeper_receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            paid.paid.reward_paid,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    let position_key = accounts.position.key();
    emit!(settled.decreased_event(accounts.pool.key(), position_key, &accounts.position));
    emit!(CappedPositionClosed {
        position: position_key,
        owner: accounts.position.owner,
        keeper: accounts.keeper.key(),
        reward_paid: paid.paid.reward_paid,
        exit_price: settled.exit_price,
        time: settled.time,
    });
    Ok(())
}
