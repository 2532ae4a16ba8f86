//! `initialize`: creates the global Perpetuals account. The signer becomes the admin; every
//! permission starts enabled. Callable once (the PDA can only be created once).

use {
    crate::{
        constants::{PERPETUALS_SEED, TRANSFER_AUTHORITY_SEED},
        events::PerpetualsInitialized,
        state::perpetuals::{Permissions, Perpetuals},
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct Initialize<'info> {
    /// Becomes the admin; pays for the Perpetuals account.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        init,
        payer = admin,
        space = 8 + Perpetuals::INIT_SPACE,
        seeds = [PERPETUALS_SEED],
        bump
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA; only its bump is recorded, so later instructions can sign with it.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Initialize>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;

    let perpetuals = ctx.accounts.perpetuals.as_mut();
    perpetuals.admin = ctx.accounts.admin.key();
    perpetuals.permissions = Permissions::ALL;
    perpetuals.transfer_authority_bump = ctx.bumps.transfer_authority;
    perpetuals.perpetuals_bump = ctx.bumps.perpetuals;
    perpetuals.inception_time = now;
    perpetuals.pending_admin = Pubkey::default();

    emit!(PerpetualsInitialized {
        admin: perpetuals.admin,
        perpetuals: ctx.accounts.perpetuals.key(),
        transfer_authority: ctx.accounts.transfer_authority.key(),
        permissions: Permissions::ALL,
        inception_time: now,
    });
    Ok(())
}
