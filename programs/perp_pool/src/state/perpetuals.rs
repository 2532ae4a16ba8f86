//! The global config account (admin, permissions, transfer-authority bump) and the token CPIs
//! that the transfer authority signs.

use {
    crate::constants::TRANSFER_AUTHORITY_SEED,
    anchor_lang::prelude::*,
    anchor_spl::token::{self, Burn, FreezeAccount, MintTo, ThawAccount, Token, Transfer},
};

/// Global switches. The admin flips them with `set_permissions` to pause parts of the exchange.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Permissions {
    pub allow_add_liquidity: bool,
    pub allow_remove_liquidity: bool,
    /// open_position, increase_position, add_collateral.
    pub allow_open_position: bool,
    /// decrease_position, close_position, remove_collateral.
    pub allow_close_position: bool,
    /// liquidate.
    pub allow_liquidation: bool,
    /// lock_lp (new stakes and additions). Unlocking an ended lock and claiming rewards are
    /// always allowed, so a pause never traps LP or rewards.
    pub allow_lp_staking: bool,
}

impl Permissions {
    /// Everything enabled: the state right after `initialize`.
    pub const ALL: Permissions = Permissions {
        allow_add_liquidity: true,
        allow_remove_liquidity: true,
        allow_open_position: true,
        allow_close_position: true,
        allow_liquidation: true,
        allow_lp_staking: true,
    };
}

/// PDA `[PERPETUALS_SEED]`.
#[account]
#[derive(Debug, InitSpace)]
pub struct Perpetuals {
    pub admin: Pubkey,
    pub permissions: Permissions,
    pub transfer_authority_bump: u8,
    pub perpetuals_bump: u8,
    /// Unix time of `initialize`.
    pub inception_time: i64,
    /// Proposed by `transfer_admin`, becomes admin on `accept_admin`; Pubkey::default() = none.
    pub pending_admin: Pubkey,
}

impl Perpetuals {
    /// Moves `amount` out of a vault owned by the transfer authority.
    pub fn transfer_from_vault<'info>(
        &self,
        from: AccountInfo<'info>,
        to: AccountInfo<'info>,
        transfer_authority: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
        amount: u64,
    ) -> Result<()> {
        let bump = [self.transfer_authority_bump];
        let seeds: &[&[u8]] = &[TRANSFER_AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        token::transfer(
            CpiContext::new_with_signer(
                token_program.to_account_info(),
                Transfer {
                    from,
                    to,
                    authority: transfer_authority,
                },
                signer,
            ),
            amount,
        )
    }

    /// Moves `amount` from a user's token account, signed by the user.
    pub fn transfer_from_user<'info>(
        from: AccountInfo<'info>,
        to: AccountInfo<'info>,
        authority: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
        amount: u64,
    ) -> Result<()> {
        token::transfer(
            CpiContext::new(
                token_program.to_account_info(),
                Transfer {
                    from,
                    to,
                    authority,
                },
            ),
            amount,
        )
    }

    /// Mints `amount` of a mint whose authority is the transfer authority (LP mints).
    pub fn mint_tokens<'info>(
        &self,
        mint: AccountInfo<'info>,
        to: AccountInfo<'info>,
        transfer_authority: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
        amount: u64,
    ) -> Result<()> {
        let bump = [self.transfer_authority_bump];
        let seeds: &[&[u8]] = &[TRANSFER_AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        token::mint_to(
            CpiContext::new_with_signer(
                token_program.to_account_info(),
                MintTo {
                    mint,
                    to,
                    authority: transfer_authority,
                },
                signer,
            ),
            amount,
        )
    }

    /// Freezes (`frozen`) or thaws an LP token account: the LP mint's freeze authority is the
    /// transfer authority (the per-depositor cooldown, `state::lp_cooldown`).
    pub fn set_lp_account_frozen<'info>(
        &self,
        frozen: bool,
        account: AccountInfo<'info>,
        mint: AccountInfo<'info>,
        authority: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
    ) -> Result<()> {
        let bump = [self.transfer_authority_bump];
        let seeds: &[&[u8]] = &[TRANSFER_AUTHORITY_SEED, &bump];
        let signer = &[seeds];
        let program = token_program.to_account_info();
        if frozen {
            let accounts = FreezeAccount {
                account,
                mint,
                authority,
            };
            token::freeze_account(CpiContext::new_with_signer(program, accounts, signer))
        } else {
            let accounts = ThawAccount {
                account,
                mint,
                authority,
            };
            token::thaw_account(CpiContext::new_with_signer(program, accounts, signer))
        }
    }

    /// Burns `amount` from a user's token account, signed by the user.
    pub fn burn_from_user<'info>(
        mint: AccountInfo<'info>,
        from: AccountInfo<'info>,
        authority: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
        amount: u64,
    ) -> Result<()> {
        token::burn(
            CpiContext::new(
                token_program.to_account_info(),
                Burn {
                    mint,
                    from,
                    authority,
                },
            ),
            amount,
        )
    }
}
