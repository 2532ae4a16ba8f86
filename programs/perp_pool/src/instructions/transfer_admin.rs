//! `transfer_admin` (admin): proposes a new admin; it takes effect when that key signs
//! `accept_admin` (two steps, so a typo cannot lock the protocol). Proposing
//! `Pubkey::default()` cancels a pending transfer.

use {
    crate::{
        constants::PERPETUALS_SEED, errors::PerpPoolError, events::AdminTransferProposed,
        state::perpetuals::Perpetuals,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct TransferAdmin<'info> {
    pub admin: Signer<'info>,

    #[account(
        mut,
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct TransferAdminParams {
    pub new_admin: Pubkey,
}

pub fn handler(ctx: Context<TransferAdmin>, params: &TransferAdminParams) -> Result<()> {
    ctx.accounts.perpetuals.pending_admin = params.new_admin;
    emit!(AdminTransferProposed {
        admin: ctx.accounts.admin.key(),
        pending_admin: params.new_admin,
    });
    Ok(())
}
