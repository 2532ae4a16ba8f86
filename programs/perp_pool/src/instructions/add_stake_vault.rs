//! `add_stake_vault` (admin): opens a tranche slot of the stake pool with its staked-LP vault
//! (the junior slot is opened by `init_stake_pool`; a tranched pool's senior slot by this). While
//! the senior slot is closed the junior slot takes every routed reward; from its opening on the
//! configured junior share applies (the split of what was pulled before is frozen first).

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_VAULT_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::staking,
        errors::PerpPoolError,
        events::StakeVaultAdded,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, stake_pool::StakePool},
        validate,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct AddStakeVault<'info> {
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

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), reward_custody.mint.as_ref()],
        bump = reward_custody.bump,
        constraint = reward_custody.key() == stake_pool.load()?.reward_custody @ PerpPoolError::InvalidRewardCustody
    )]
    pub reward_custody: Box<Account<'info, Custody>>,

    #[account(
        mut,
        seeds = [STAKE_POOL_SEED, pool.key().as_ref()],
        bump = stake_pool.load()?.bump
    )]
    pub stake_pool: AccountLoader<'info, StakePool>,

    /// The tranche's LP mint (its slot must not be open yet: StakeVaultExists).
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    /// The slot's staked-LP vault (`init_if_needed` so that an open slot's existing vault reaches
    /// the handler's named StakeVaultExists instead of the system program's "in use").
    #[account(
        init_if_needed,
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

pub fn handler(ctx: Context<AddStakeVault>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let tranche = accounts
        .pool
        .lp_mint_tranche(&accounts.lp_token_mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;
    let stake_pool_key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    validate!(
        !stake_pool.is_open(tranche),
        PerpPoolError::StakeVaultExists
    )?;
    validate!(
        accounts.stake_vault.amount == 0,
        PerpPoolError::InvalidVault
    )?;

    // mutate: update at the old split first, then open the slot (which freezes the split so far)
    let pulled = staking::update(&mut stake_pool, &mut accounts.reward_custody, now)?;
    stake_pool.open_slot(
        tranche,
        accounts.stake_vault.key(),
        accounts.lp_token_mint.key(),
    )?;

    // emit
    if pulled.changed() {
        emit!(staking::updated_event(
            stake_pool_key,
            &stake_pool,
            &pulled,
            now
        ));
    }
    emit!(StakeVaultAdded {
        admin: accounts.admin.key(),
        stake_pool: stake_pool_key,
        tranche,
        lp_mint: accounts.lp_token_mint.key(),
        vault: accounts.stake_vault.key(),
        time: now,
    });
    Ok(())
}
