//! Per-depositor LP cooldown (docs/design.md "LP capital safety", finding 6).
//!
//! A deposit mints LP into the depositor's own LP token account and freezes that account (the
//! pool's LP mint has the transfer authority as freeze authority) until `unlock_time`, and at
//! least until the slot after the deposit. A frozen account can neither transfer nor burn, so the
//! capital that deposited cannot leave through a redemption, nor through a transfer to another
//! account, before the cooldown ends: a deposit-then-redeem around an oracle update or a
//! liquidation is exposed to the pool for the whole cooldown. Nobody else's LP is affected:
//! depositors can only mint into their own account.

use anchor_lang::prelude::*;

/// PDA `[LP_COOLDOWN_SEED, lp_token_account]`, created by the first deposit into that account
/// (rent paid by the depositor) and reused by later ones.
#[account]
#[derive(Debug, Default, InitSpace)]
pub struct LpCooldown {
    pub pool: Pubkey,
    pub lp_token_account: Pubkey,
    /// Slot of the last deposit into the account: no redemption in that slot.
    pub deposit_slot: u64,
    /// Unix seconds from which the account may be unfrozen (`remove_liquidity`, `unlock_lp`).
    pub unlock_time: i64,
    pub bump: u8,
}

impl LpCooldown {
    /// Whether the cooldown is over at (`slot`, `now`).
    pub fn is_over(&self, slot: u64, now: i64) -> bool {
        slot > self.deposit_slot && now >= self.unlock_time
    }

    /// Loads the record from an unchecked account whose address the caller has already checked
    /// against the PDA. A missing record (no data) is None.
    pub fn load(info: &AccountInfo) -> Result<Option<LpCooldown>> {
        if info.data_is_empty() {
            return Ok(None);
        }
        require_keys_eq!(
            *info.owner,
            crate::ID,
            crate::errors::PerpPoolError::LiquidityCooldownActive
        );
        let data = info.try_borrow_data()?;
        Ok(Some(LpCooldown::try_deserialize(&mut &data[..])?))
    }
}
