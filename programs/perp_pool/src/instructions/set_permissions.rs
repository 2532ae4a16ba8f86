//! `set_permissions` (admin): replaces the global permissions, e.g. to pause deposits.

use {
    crate::{
        constants::PERPETUALS_SEED,
        errors::PerpPoolError,
        events::PermissionsSet,
        state::perpetuals::{Permissions, Perpetuals},
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetPermissions<'info> {
    pub admin: Signer<'info>,

    #[account(
        mut,
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,
}

/// The new value of every switch (all are replaced).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct SetPermissionsParams {
    pub allow_add_liquidity: bool,
    pub allow_remove_liquidity: bool,
    pub allow_open_position: bool,
    pub allow_close_position: bool,
    pub allow_liquidation: bool,
    pub allow_lp_staking: bool,
}

pub fn handler(ctx: Context<SetPermissions>, params: &SetPermissionsParams) -> Result<()> {
    let permissions = Permissions {
        allow_add_liquidity: params.allow_add_liquidity,
        allow_remove_liquidity: params.allow_remove_liquidity,
        allow_open_position: params.allow_open_position,
        allow_close_position: params.allow_close_position,
        allow_liquidation: params.allow_liquidation,
        allow_lp_staking: params.allow_lp_staking,
    };
    ctx.accounts.perpetuals.permissions = permissions;

    emit!(PermissionsSet {
        admin: ctx.accounts.admin.key(),
        permissions,
    });
    Ok(())
}
