//! `add_senior_tranche` (admin): gives a pool a senior tranche, before its first deposit. Creates
//! the senior LP mint (LP_DECIMALS, mint and freeze authority = transfer authority, like the
//! pool's LP mint, which becomes the junior tranche) and starts the senior index at 1 USD per
//! whole senior LP. Fails with TrancheSetupNotAllowed on a pool that already has one or whose LP
//! was already issued: existing LPs would become first-loss capital without having chosen it.

use {
    crate::{
        constants::{
            LP_DECIMALS, PERPETUALS_SEED, POOL_SEED, SENIOR_INDEX_POWER, SENIOR_LP_TOKEN_MINT_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        errors::PerpPoolError,
        events::SeniorTrancheAdded,
        state::{
            perpetuals::Perpetuals,
            pool::{Pool, SeniorTranche},
        },
        types::TrancheConfigParams,
        validate,
        validation::config::validate_tranche_config,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token},
};

#[derive(Accounts)]
pub struct AddSeniorTranche<'info> {
    /// Pays for the senior LP mint.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA, becomes the senior LP mint's authority.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(mut, seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The pool's (junior) LP mint: must have no supply.
    #[account(
        constraint = lp_token_mint.key() == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    #[account(
        init,
        payer = admin,
        mint::authority = transfer_authority,
        mint::freeze_authority = transfer_authority,
        mint::decimals = LP_DECIMALS,
        seeds = [SENIOR_LP_TOKEN_MINT_SEED, pool.key().as_ref()],
        bump
    )]
    pub senior_lp_token_mint: Box<Account<'info, Mint>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<AddSeniorTranche>, params: &TrancheConfigParams) -> Result<()> {
    // params
    validate_tranche_config(params)?;
    let accounts = ctx.accounts;
    validate!(
        !accounts.pool.is_tranched()
            && accounts.pool.dead_lp_supply == 0
            && accounts.lp_token_mint.supply == 0,
        PerpPoolError::TrancheSetupNotAllowed
    )?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    accounts.pool.senior = SeniorTranche {
        mint: accounts.senior_lp_token_mint.key(),
        supply: 0,
        index: SENIOR_INDEX_POWER,
        index_time: now,
        rate_bps: params.rate_bps,
        max_senior_junior_ratio_bps: params.max_senior_junior_ratio_bps,
        senior_deposit_ratio_bps: params.senior_deposit_ratio_bps,
        max_senior_usd: params.max_senior_usd,
        mint_bump: ctx.bumps.senior_lp_token_mint,
    };

    // emit
    emit!(SeniorTrancheAdded {
        pool: accounts.pool.key(),
        senior_lp_token_mint: accounts.senior_lp_token_mint.key(),
        index: SENIOR_INDEX_POWER,
        rate_bps: params.rate_bps,
        max_senior_junior_ratio_bps: params.max_senior_junior_ratio_bps,
        senior_deposit_ratio_bps: params.senior_deposit_ratio_bps,
        max_senior_usd: params.max_senior_usd,
        time: now,
    });
    Ok(())
}
