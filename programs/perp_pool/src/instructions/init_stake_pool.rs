//! `init_stake_pool` (admin): creates the pool's stake pool (LP lock-ups, docs/design.md
//! "Lock-ups") with its ladder, junior share and reward custody (a stable custody of the pool:
//! trading fees are paid in collateral-custody tokens), and the junior slot's staked-LP vault.
//! Rewards the custody routed before (its `stake_rewards_routed` so far) are taken in at once
//! and, with nothing staked yet, given back to the LPs.

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_VAULT_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::staking,
        errors::PerpPoolError,
        events::StakePoolInitialized,
        math::staking::{week_of, RewardSplit},
        state::{
            custody::Custody,
            perpetuals::Perpetuals,
            pool::Pool,
            stake_pool::{StakePool, STAKE_POOL_SIZE},
        },
        types::{LockTier, Tranche},
        validate,
        validation::config::validate_stake_config,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct InitStakePool<'info> {
    /// Pays for the stake pool and the vault.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA, becomes the vault's owner.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The custody whose stake rewards pay the stakers: a stable custody of this pool.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), reward_custody.mint.as_ref()],
        bump = reward_custody.bump,
        constraint = reward_custody.is_stable @ PerpPoolError::InvalidRewardCustody
    )]
    pub reward_custody: Box<Account<'info, Custody>>,

    #[account(
        init,
        payer = admin,
        space = 8 + STAKE_POOL_SIZE,
        seeds = [STAKE_POOL_SEED, pool.key().as_ref()],
        bump
    )]
    pub stake_pool: AccountLoader<'info, StakePool>,

    /// The junior tranche's LP mint (in a pool without tranches, the pool's LP mint).
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()) == Some(Tranche::Junior) @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    /// The junior slot's staked-LP vault.
    #[account(
        init,
        payer = admin,
        token::mint = lp_token_mint,
        token::authority = transfer_authority,
        seeds = [STAKE_VAULT_SEED, stake_pool.key().as_ref(), lp_token_mint.key().as_ref()],
        bump
    )]
    pub stake_vault: Box<Account<'info, TokenAccount>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitStakePoolParams {
    /// The lock ladder (validation/config.rs `validate_stake_config`).
    pub ladder: Vec<LockTier>,
    /// The junior slot's share of routed rewards while the senior slot is open, BPS.
    pub junior_share_bps: u64,
}

pub fn handler(ctx: Context<InitStakePool>, params: &InitStakePoolParams) -> Result<()> {
    // params
    validate_stake_config(&params.ladder, params.junior_share_bps)?;
    validate!(
        ctx.accounts.stake_vault.amount == 0,
        PerpPoolError::InvalidVault
    )?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let stake_pool_key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_init()?;
    stake_pool.pool = accounts.pool.key();
    stake_pool.reward_custody = accounts.reward_custody.key();
    stake_pool.set_ladder(&params.ladder)?;
    stake_pool.bump = ctx.bumps.stake_pool;
    stake_pool.inception_time = now;
    stake_pool.split = RewardSplit {
        junior_share_bps: params.junior_share_bps,
        ..RewardSplit::default()
    };
    // The account is zeroed: each slot is empty, only its week starts now (no slot is built on
    // the stack: one is about 5 KB).
    let week = week_of(now)?;
    for slot in stake_pool.slots.iter_mut() {
        slot.last_week = week;
    }
    stake_pool.open_slot(
        Tranche::Junior,
        accounts.stake_vault.key(),
        accounts.lp_token_mint.key(),
    )?;
    let pulled = staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;

    // emit
    emit!(StakePoolInitialized {
        admin: accounts.admin.key(),
        pool: accounts.pool.key(),
        stake_pool: stake_pool_key,
        reward_custody: accounts.reward_custody.key(),
        ladder: params.ladder.clone(),
        junior_share_bps: params.junior_share_bps,
        junior_vault: accounts.stake_vault.key(),
        returned_to_lps: pulled.returned_to_lps,
        time: now,
    });
    Ok(())
}
