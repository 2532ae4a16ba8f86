//! `unlock_lp_stake` (owner): takes LP out of a stake whose lock has ended (StakeLocked before
//! its end; there is no early unlock, so no penalty to price: a lock's boost is paid for by the
//! certainty that the LP stays). The LP goes back to an LP token account of the owner; if that
//! account is frozen by a deposit cooldown it is thawed for the transfer and frozen again (the
//! cooldown still holds its new LP). Always allowed: a pause never traps staked LP.
//! (Not `unlock_lp`: that one thaws an LP token account after its deposit cooldown.)

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::staking,
        errors::PerpPoolError,
        events::LpStakeUnlocked,
        state::{
            custody::Custody, perpetuals::Perpetuals, pool::Pool, stake::Stake,
            stake_pool::StakePool,
        },
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct UnlockLpStake<'info> {
    pub owner: Signer<'info>,

    /// Receives the LP: a token account of the stake's LP mint owned by the owner.
    #[account(
        mut,
        constraint = lp_token_account.mint == stake.lp_mint @ PerpPoolError::InvalidLpTokenMint,
        constraint = lp_token_account.owner == owner.key() @ PerpPoolError::InvalidLpTokenAccount
    )]
    pub lp_token_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the vault, freeze authority of the LP mint.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

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

    /// The stake's LP mint.
    #[account(
        constraint = lp_token_mint.key() == stake.lp_mint @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    /// The tranche slot's staked-LP vault (`StakePool::vaults`, else InvalidVault).
    #[account(mut)]
    pub stake_vault: Box<Account<'info, TokenAccount>>,

    /// The owner's stake (someone else's: Unauthorized).
    #[account(
        mut,
        seeds = [
            STAKE_SEED,
            stake_pool.key().as_ref(),
            stake.lp_mint.as_ref(),
            stake.owner.as_ref()
        ],
        bump = stake.bump,
        has_one = owner @ PerpPoolError::Unauthorized
    )]
    pub stake: Box<Account<'info, Stake>>,

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct UnlockLpStakeParams {
    /// LP base units to take out (0 < amount <= staked).
    pub amount: u64,
}

pub fn handler(ctx: Context<UnlockLpStake>, params: &UnlockLpStakeParams) -> Result<()> {
    let accounts = ctx.accounts;
    let tranche = accounts.stake.tranche;
    validate!(
        accounts.pool.lp_mint_tranche(&accounts.lp_token_mint.key()) == Some(tranche),
        PerpPoolError::InvalidLpTokenMint
    )?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let stake_pool_key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    validate!(
        accounts.stake_vault.key() == stake_pool.vault(tranche),
        PerpPoolError::InvalidVault
    )?;
    let vault = VaultBaseline::of(
        accounts.stake_vault.amount,
        u128::from(stake_pool.slot(tranche)?.staked_amount),
    );
    let changed = staking::unlock(
        &mut stake_pool,
        &mut accounts.reward_custody,
        &mut accounts.stake,
        params.amount,
        now,
    )?;

    // CPI: a frozen receiving account (deposit cooldown) is thawed, credited and frozen again.
    let perpetuals = &accounts.perpetuals;
    let lp_account = accounts.lp_token_account.to_account_info();
    let lp_mint = accounts.lp_token_mint.to_account_info();
    let authority = accounts.transfer_authority.to_account_info();
    let token_program = &accounts.token_program;
    let frozen = accounts.lp_token_account.is_frozen();
    if frozen {
        perpetuals.set_lp_account_frozen(
            false,
            lp_account.clone(),
            lp_mint.clone(),
            authority.clone(),
            token_program,
        )?;
    }
    perpetuals.transfer_from_vault(
        accounts.stake_vault.to_account_info(),
        lp_account.clone(),
        authority.clone(),
        token_program,
        params.amount,
    )?;
    if frozen {
        perpetuals.set_lp_account_frozen(true, lp_account, lp_mint, authority, token_program)?;
    }
    accounts.stake_vault.reload()?;
    vault.check(
        accounts.stake_vault.amount,
        u128::from(changed.staked_amount),
    )?;

    // emit
    if changed.pulled.changed() {
        emit!(staking::updated_event(
            stake_pool_key,
            &stake_pool,
            &changed.pulled,
            now
        ));
    }
    emit!(LpStakeUnlocked {
        owner: accounts.owner.key(),
        stake: accounts.stake.key(),
        stake_pool: stake_pool_key,
        tranche,
        lp_token_account: accounts.lp_token_account.key(),
        amount_out: params.amount,
        amount: accounts.stake.amount,
        earned: changed.earned,
        total_weight: changed.total_weight,
        staked_amount: changed.staked_amount,
        time: now,
    });
    Ok(())
}
