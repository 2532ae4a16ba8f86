//! `claim_stake_rewards` (owner): pays everything the stake earned (settled now, floor: never in
//! the claimer's favour) out of the reward custody's stake rewards, to a token account of the
//! reward custody's mint (any holder: the owner signs). ZeroAmount when nothing is earned. Always
//! allowed: a pause never traps rewards.

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        controller::staking,
        errors::PerpPoolError,
        events::StakeRewardsClaimed,
        state::{
            custody::Custody, perpetuals::Perpetuals, pool::Pool, stake::Stake,
            stake_pool::StakePool,
        },
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct ClaimStakeRewards<'info> {
    pub owner: Signer<'info>,

    /// Receives the rewards: a token account of the reward custody's mint.
    #[account(
        mut,
        constraint = receiving_account.mint == reward_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the custody's vault.
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

    /// The reward custody's vault.
    #[account(
        mut,
        constraint = reward_custody_token_account.key() == reward_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub reward_custody_token_account: Box<Account<'info, TokenAccount>>,

    #[account(
        mut,
        seeds = [STAKE_POOL_SEED, pool.key().as_ref()],
        bump = stake_pool.load()?.bump
    )]
    pub stake_pool: AccountLoader<'info, StakePool>,

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

pub fn handler(ctx: Context<ClaimStakeRewards>) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = VaultBaseline::capture(
        &accounts.reward_custody,
        &accounts.reward_custody_token_account,
    )?;

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let stake_pool_key = accounts.stake_pool.key();
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    let claimed = staking::claim(
        &mut stake_pool,
        &mut accounts.reward_custody,
        &mut accounts.stake,
        now,
    )?;

    // CPI
    accounts.perpetuals.transfer_from_vault(
        accounts.reward_custody_token_account.to_account_info(),
        accounts.receiving_account.to_account_info(),
        accounts.transfer_authority.to_account_info(),
        &accounts.token_program,
        claimed.amount,
    )?;
    vault.verify(
        &accounts.reward_custody,
        &mut accounts.reward_custody_token_account,
    )?;

    // emit
    if claimed.pulled.changed() {
        emit!(staking::updated_event(
            stake_pool_key,
            &stake_pool,
            &claimed.pulled,
            now
        ));
    }
    emit!(StakeRewardsClaimed {
        owner: accounts.owner.key(),
        stake: accounts.stake.key(),
        stake_pool: stake_pool_key,
        tranche: accounts.stake.tranche,
        receiving_account: accounts.receiving_account.key(),
        amount: claimed.amount,
        stake_rewards: claimed.stake_rewards,
        time: now,
    });
    Ok(())
}
