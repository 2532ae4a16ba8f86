//! `lock_lp` (owner): locks LP of one tranche in the owner's stake for a tier of the ladder
//! (docs/design.md "Lock-ups"): the LP moves from the owner's LP token account into the tranche
//! slot's vault, the stake is created on first use. Adding to a running lock may not lower its
//! tier (LockShortened); the whole amount takes the later of the two ends. `amount` 0 extends or
//! relocks what is staked. LP still frozen by its deposit cooldown cannot move
//! (LiquidityCooldownActive). Refused while `allow_lp_staking` is off.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, STAKE_POOL_SEED, STAKE_SEED},
        controller::staking,
        errors::PerpPoolError,
        events::LpLocked,
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
pub struct LockLp<'info> {
    /// The stake's owner; authority of `lp_token_account`; pays the stake's rent the first time.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// The owner's LP token account of the tranche's mint (the LP comes from here).
    #[account(
        mut,
        constraint = lp_token_account.mint == lp_token_mint.key() @ PerpPoolError::InvalidLpTokenMint,
        constraint = lp_token_account.owner == owner.key() @ PerpPoolError::InvalidLpTokenAccount
    )]
    pub lp_token_account: Box<Account<'info, TokenAccount>>,

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

    /// An LP mint of the pool (`Pool::lp_mint_tranche`): the tranche staked.
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    /// The tranche slot's staked-LP vault (`StakePool::vaults`, else InvalidVault).
    #[account(mut)]
    pub stake_vault: Box<Account<'info, TokenAccount>>,

    /// PDA `[STAKE_SEED, stake_pool, lp_mint, owner]`.
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + Stake::INIT_SPACE,
        seeds = [
            STAKE_SEED,
            stake_pool.key().as_ref(),
            lp_token_mint.key().as_ref(),
            owner.key().as_ref()
        ],
        bump
    )]
    pub stake: Box<Account<'info, Stake>>,

    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct LockLpParams {
    /// LP base units to add (0: extend or relock what is staked).
    pub amount: u64,
    /// Index in the stake pool's ladder.
    pub tier: u8,
}

pub fn handler(ctx: Context<LockLp>, params: &LockLpParams) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_lp_staking,
        PerpPoolError::InstructionNotAllowed
    )?;

    // accounts and params
    let accounts = ctx.accounts;
    validate!(
        !accounts.lp_token_account.is_frozen(),
        PerpPoolError::LiquidityCooldownActive
    )?;
    let lp_mint = accounts.lp_token_mint.key();
    let tranche = accounts
        .pool
        .lp_mint_tranche(&lp_mint)
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;
    let stake_pool_key = accounts.stake_pool.key();
    let owner = accounts.owner.key();
    let stake = accounts.stake.as_mut();
    if stake.owner == Pubkey::default() {
        stake.owner = owner;
        stake.stake_pool = stake_pool_key;
        stake.lp_mint = lp_mint;
        stake.tranche = tranche;
        stake.bump = ctx.bumps.stake;
    }

    // mutate
    let now = Clock::get()?.unix_timestamp;
    let mut stake_pool = accounts.stake_pool.load_mut()?;
    validate!(
        accounts.stake_vault.key() == stake_pool.vault(tranche),
        PerpPoolError::InvalidVault
    )?;
    let vault = VaultBaseline::of(
        accounts.stake_vault.amount,
        u128::from(stake_pool.slot(tranche)?.staked_amount),
    );
    let changed = staking::lock(
        &mut stake_pool,
        &mut accounts.reward_custody,
        stake,
        params.amount,
        params.tier,
        now,
    )?;

    // CPI
    if params.amount > 0 {
        Perpetuals::transfer_from_user(
            accounts.lp_token_account.to_account_info(),
            accounts.stake_vault.to_account_info(),
            accounts.owner.to_account_info(),
            &accounts.token_program,
            params.amount,
        )?;
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
    let stake = &accounts.stake;
    emit!(LpLocked {
        owner,
        stake: stake.key(),
        stake_pool: stake_pool_key,
        tranche,
        amount_in: params.amount,
        amount: stake.amount,
        tier: stake.tier,
        multiplier_bps: stake.multiplier_bps,
        lock_end: stake.lock_end,
        weight: stake.weight,
        earned: changed.earned,
        total_weight: changed.total_weight,
        staked_amount: changed.staked_amount,
        time: now,
    });
    Ok(())
}
