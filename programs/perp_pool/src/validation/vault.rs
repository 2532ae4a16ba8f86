//! The vault invariant, checked after every instruction that moves custody tokens: a custody's
//! vault holds what its accounting buckets say it does, `owned + collateral + protocol_fees +
//! insurance_fund + escrow + stake_rewards` (state::custody::Assets). The same delta check guards
//! a stake pool's staked-LP vaults against their `staked_amount` (`VaultBaseline::of`).
//!
//! Checked as "the vault moved exactly as the buckets did" (plus "the vault holds at least the
//! buckets") rather than as a plain equality: anyone may transfer tokens into a vault, and a
//! donation that made the equality false would otherwise refuse every later instruction of the
//! custody. The balance before is the vault as Anchor loaded it, before any CPI; the balance
//! after is read again once the instruction's CPIs are done.

use {
    crate::{
        errors::PerpPoolError,
        math::safe_math::{cast, SafeMath},
        state::custody::{Assets, Custody},
        validate,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::TokenAccount,
};

/// The vault balance and the custody's accounted tokens at the start of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultBaseline {
    vault_amount: u64,
    accounted: u128,
}

/// `owned + collateral + protocol_fees + insurance_fund + escrow + stake_rewards`, in u128 (six
/// u64 always fit).
pub fn accounted_tokens(assets: &Assets) -> Result<u128> {
    u128::from(assets.owned)
        .safe_add(u128::from(assets.collateral))?
        .safe_add(u128::from(assets.protocol_fees))?
        .safe_add(u128::from(assets.insurance_fund))?
        .safe_add(u128::from(assets.escrow))?
        .safe_add(u128::from(assets.stake_rewards))
}

/// `after - before`, signed.
fn change(before: u128, after: u128) -> Result<i128> {
    cast::<u128, i128>(after)?.safe_sub(cast(before)?)
}

impl VaultBaseline {
    /// A baseline from a vault balance and what it should hold (a stake pool's staked-LP vault
    /// and its `staked_amount`).
    pub fn of(vault_amount: u64, accounted: u128) -> Self {
        VaultBaseline {
            vault_amount,
            accounted,
        }
    }

    /// Call before the instruction changes `custody.assets` or moves any token.
    pub fn capture(custody: &Custody, vault: &TokenAccount) -> Result<Self> {
        Ok(VaultBaseline {
            vault_amount: vault.amount,
            accounted: accounted_tokens(&custody.assets)?,
        })
    }

    /// Call after the instruction's CPIs: reloads `vault` and `check`s it against `custody`.
    pub fn verify(&self, custody: &Custody, vault: &mut Account<TokenAccount>) -> Result<()> {
        vault.reload()?;
        self.check(vault.amount, accounted_tokens(&custody.assets)?)
    }

    /// Fails with VaultBalanceMismatch unless the vault's balance changed by exactly what the
    /// accounted tokens changed by (both may move either way) and covers them.
    pub fn check(&self, vault_amount: u64, accounted: u128) -> Result<()> {
        let vault_change = change(u128::from(self.vault_amount), u128::from(vault_amount))?;
        let accounted_change = change(self.accounted, accounted)?;
        validate!(
            vault_change == accounted_change,
            PerpPoolError::VaultBalanceMismatch,
            "vault {} -> {}, accounted {} -> {}",
            self.vault_amount,
            vault_amount,
            self.accounted,
            accounted
        )?;
        validate!(
            u128::from(vault_amount) >= accounted,
            PerpPoolError::VaultBalanceMismatch
        )
    }
}

#[cfg(test)]
mod tests;
