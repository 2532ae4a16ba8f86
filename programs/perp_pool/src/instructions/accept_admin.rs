//! `accept_admin`: the pending admin (set by `transfer_admin`) signs to become the admin.

use {
    crate::{
        constants::PERPETUALS_SEED, errors::PerpPoolError, events::AdminTransferred,
        state::perpetuals::Perpetuals,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    /// Must be `perpetuals.pending_admin` (else Unauthorized).
    pub new_admin: Signer<'info>,

    #[account(
        mut,
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        constraint = perpetuals.pending_admin == new_admin.key() @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,
}

pub fn handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    let perpetuals = ctx.accounts.perpetuals.as_mut();
    let previous_admin = perpetuals.admin;
    perpetuals.admin = ctx.accounts.new_admin.key();
    perpetuals.pending_admin = Pubkey::default();
    emit!(AdminTransferred {
        previous_admin,
        admin: perpetuals.admin,
    });
    Ok(())
}
