//! `add_pool` (admin): creates a Pool PDA named `params.name` and its LP mint (LP_DECIMALS,
//! mint and freeze authority = transfer authority: the freeze enforces the per-depositor LP
//! cooldown, `state::lp_cooldown`).

use {
    crate::{
        constants::{
            LP_DECIMALS, LP_TOKEN_MINT_SEED, MAX_LP_COOLDOWN_SEC, PERPETUALS_SEED, POOL_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        errors::PerpPoolError,
        events::PoolAdded,
        state::{
            perpetuals::Perpetuals,
            pool::{Pool, SeniorTranche},
        },
        validate,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token},
};

#[derive(Accounts)]
#[instruction(params: AddPoolParams)]
pub struct AddPool<'info> {
    /// Pays for the pool and the LP mint.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA, becomes the LP mint authority.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    /// `Pool::name_seed` fails with InvalidPoolName (empty or > 32 bytes) before the address is
    /// derived: Anchor creates `init` accounts before checking the other accounts' constraints.
    #[account(
        init,
        payer = admin,
        space = 8 + Pool::INIT_SPACE,
        seeds = [POOL_SEED, Pool::name_seed(&params.name)?],
        bump
    )]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        init,
        payer = admin,
        mint::authority = transfer_authority,
        mint::freeze_authority = transfer_authority,
        mint::decimals = LP_DECIMALS,
        seeds = [LP_TOKEN_MINT_SEED, pool.key().as_ref()],
        bump
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AddPoolParams {
    /// 1..=32 bytes; the pool's PDA seed.
    pub name: String,
    /// Seconds a deposit's LP stays frozen in the depositor's account (0: until the next slot).
    /// At most MAX_LP_COOLDOWN_SEC.
    pub lp_cooldown_sec: u32,
}

pub fn handler(ctx: Context<AddPool>, params: &AddPoolParams) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    validate!(
        params.lp_cooldown_sec <= MAX_LP_COOLDOWN_SEC,
        PerpPoolError::InvalidPoolConfig
    )?;

    let pool = ctx.accounts.pool.as_mut();
    pool.name = params.name.clone();
    pool.lp_token_mint = ctx.accounts.lp_token_mint.key();
    pool.custodies = Vec::new();
    pool.aum_usd = 0;
    pool.last_add_liquidity_slot = 0;
    pool.dead_lp_supply = 0;
    pool.lp_cooldown_sec = params.lp_cooldown_sec;
    pool.inception_time = now;
    pool.bump = ctx.bumps.pool;
    pool.lp_token_bump = ctx.bumps.lp_token_mint;
    pool.senior = SeniorTranche::default();

    emit!(PoolAdded {
        pool: ctx.accounts.pool.key(),
        name: params.name.clone(),
        lp_token_mint: ctx.accounts.lp_token_mint.key(),
        lp_cooldown_sec: params.lp_cooldown_sec,
        inception_time: now,
    });
    Ok(())
}
