//! The pool account: its LP mint, its custodies, and how to value them all at once.

use {
    crate::{
        constants::{MAX_CUSTODIES, MAX_POOL_NAME_LEN},
        errors::PerpPoolError,
        math::{
            liquidity::CustodyValuation,
            oracle::{min_max_price, OraclePrice},
            safe_math::SafeMath,
        },
        state::{custody::Custody, oracle::read_oracle_price},
        types::Tranche,
    },
    anchor_lang::prelude::*,
};

/// PDA `[POOL_SEED, name.as_bytes()]`. Allocated at its maximum size, so adding custodies
/// never reallocates.
#[account]
#[derive(Debug, InitSpace)]
pub struct Pool {
    #[max_len(MAX_POOL_NAME_LEN)]
    pub name: String,
    pub lp_token_mint: Pubkey,
    /// Custody accounts, in the order `remaining_accounts` must list them.
    #[max_len(MAX_CUSTODIES)]
    pub custodies: Vec<Pubkey>,
    /// AUM at min prices (USD_DECIMALS) after the pool's last liquidity change: a snapshot for
    /// indexers; instructions always recompute AUM from the custodies and oracles.
    pub aum_usd: u128,
    /// Slot of the last `add_liquidity` (informational; the same-slot and cooldown rules are per
    /// LP token account: `LpCooldown`).
    pub last_add_liquidity_slot: u64,
    /// LP base units issued to no one by the first deposit (DEAD_LP_SUPPLY): part of the supply
    /// every LP price is computed against, never redeemable.
    pub dead_lp_supply: u64,
    /// Seconds LP minted by a deposit stays frozen in the receiving account (no transfer, no
    /// redemption); 0 = until the next slot only.
    pub lp_cooldown_sec: u32,
    /// Unix time of `add_pool`.
    pub inception_time: i64,
    pub bump: u8,
    pub lp_token_bump: u8,
}

impl Pool {
    /// A name is a PDA seed: 1..=MAX_POOL_NAME_LEN bytes.
    pub fn is_valid_name(name: &str) -> bool {
        !name.is_empty() && name.len() <= usize::from(MAX_POOL_NAME_LEN)
    }

    /// The name as a PDA seed, or InvalidPoolName. Used inside the `add_pool` seeds expression so
    /// a bad name fails with a named error before Anchor derives the address (a seed over 32 bytes
    /// would otherwise abort the derivation).
    pub fn name_seed(name: &str) -> Result<&[u8]> {
        require!(Self::is_valid_name(name), PerpPoolError::InvalidPoolName);
        Ok(name.as_bytes())
    }

    /// The LP supply every LP price is computed against: the mint's supply plus the dead shares.
    pub fn lp_supply(&self, mint_supply: u64) -> Result<u64> {
        mint_supply.safe_add(self.dead_lp_supply)
    }

    /// Which tranche an LP mint of this pool is, None for any other mint: the ONE place that maps
    /// LP mints to tranche slots (stake pools, views). A pool without tranches has one LP mint,
    /// `lp_token_mint`, which is its junior tranche.
    pub fn lp_mint_tranche(&self, mint: &Pubkey) -> Option<Tranche> {
        (*mint == self.lp_token_mint).then_some(Tranche::Junior)
    }

    pub fn custody_index(&self, custody: &Pubkey) -> Option<usize> {
        self.custodies.iter().position(|key| key == custody)
    }

    /// Values every custody of the pool at `now`, in `self.custodies` order.
    ///
    /// `target` is a custody the instruction already holds as a named account (with its oracle
    /// already read): it is taken from there and must NOT be repeated in `remaining`.
    /// The pool valued for a liquidity change in `custody`: reads and checks its oracle, books
    /// the interest accrued so far (it is part of the AUM and must be booked at the old
    /// utilisation, before the deposit or withdrawal changes it), values every custody (the others
    /// from `remaining`, as `custody_valuations`) and says where `custody` sits in the result.
    pub fn valuations_for_liquidity_change(
        &self,
        custody: &mut Custody,
        custody_key: Pubkey,
        oracle: &AccountInfo,
        remaining: &[AccountInfo],
        now: i64,
    ) -> Result<LiquidityValuation> {
        let (spot, ema) = read_oracle_price(oracle, &custody.oracle, now)?;
        let (min_price, max_price) = min_max_price(spot, ema)?;
        custody.accrue_interest(now)?;
        let valuations = self.custody_valuations(
            Some((custody_key, custody.valuation(min_price, max_price, now)?)),
            remaining,
            now,
        )?;
        let custody_index = self
            .custody_index(&custody_key)
            .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?;
        Ok(LiquidityValuation {
            min_price,
            max_price,
            valuations,
            custody_index,
        })
    }

    /// `remaining` lists, for every other custody in `self.custodies` order, the pair
    /// `(custody account, its oracle account)`. Any count, order, key, owner or oracle mismatch
    /// fails (InvalidCustodyAccounts / InvalidOracleAccount); each oracle is fully checked.
    pub fn custody_valuations(
        &self,
        target: Option<(Pubkey, CustodyValuation)>,
        remaining: &[AccountInfo],
        now: i64,
    ) -> Result<Vec<CustodyValuation>> {
        let others = match target {
            Some((key, _)) => {
                require!(
                    self.custody_index(&key).is_some(),
                    PerpPoolError::InvalidCustodyAccounts
                );
                self.custodies.len().saturating_sub(1)
            }
            None => self.custodies.len(),
        };
        require!(
            others.checked_mul(2) == Some(remaining.len()),
            PerpPoolError::InvalidCustodyAccounts
        );

        let mut valuations = Vec::with_capacity(self.custodies.len());
        let mut pairs = remaining.chunks_exact(2);
        for key in &self.custodies {
            if let Some((target_key, valuation)) = target {
                if *key == target_key {
                    valuations.push(valuation);
                    continue;
                }
            }
            let pair = pairs
                .next()
                .ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?;
            let [custody_info, oracle_info] = pair else {
                return err!(PerpPoolError::InvalidCustodyAccounts);
            };
            require_keys_eq!(
                custody_info.key(),
                *key,
                PerpPoolError::InvalidCustodyAccounts
            );
            let custody = Custody::load(custody_info)?;
            let (spot, ema) = read_oracle_price(oracle_info, &custody.oracle, now)?;
            let (min_price, max_price) = min_max_price(spot, ema)?;
            valuations.push(custody.valuation(min_price, max_price, now)?);
        }
        Ok(valuations)
    }
}

/// What `Pool::valuations_for_liquidity_change` returns.
pub struct LiquidityValuation {
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
    pub valuations: Vec<CustodyValuation>,
    /// Index of the changed custody in `valuations`.
    pub custody_index: usize,
}
