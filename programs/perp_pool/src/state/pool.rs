//! The pool account: its LP mint, its custodies, and how to value them all at once.

use {
    crate::{
        constants::{MAX_CUSTODIES, MAX_POOL_NAME_LEN},
        errors::PerpPoolError,
        math::{
            liquidity::{AumMode, CustodyValuation},
            oracle::{min_max_price, OraclePrice},
            safe_math::SafeMath,
            tranche::{tranche_navs, SeniorTerms, TrancheNavs},
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
    /// The senior tranche (`add_senior_tranche`); `mint` is the default key in a pool without
    /// tranches, whose only LP (`lp_token_mint`) is then the junior, residual claim.
    pub senior: SeniorTranche,
}

/// A tranched pool's senior tranche (docs/design.md "LP tranches").
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct SeniorTranche {
    /// PDA `[SENIOR_LP_TOKEN_MINT_SEED, pool]`, LP_DECIMALS, mint and freeze authority the
    /// transfer authority; the default key when the pool has no tranches.
    pub mint: Pubkey,
    /// Senior LP base units outstanding, kept here so junior operations and views need not load
    /// the senior mint. The program is the mint's only minter; a holder burning its own senior LP
    /// with the token program makes the mint hold less, and the next senior deposit or
    /// redemption drops the burned units from this count (controller::liquidity).
    pub supply: u64,
    /// The senior index at `index_time` (SENIOR_INDEX_DECIMALS: USD per senior LP base unit).
    pub index: u128,
    /// Unix seconds of the last rate change (or of the tranche's creation).
    pub index_time: i64,
    /// Senior target rate, BPS per year (simple), at most MAX_SENIOR_RATE_BPS.
    pub rate_bps: u32,
    /// Coverage limit of a junior withdrawal: senior NAV after it at most junior NAV * this /
    /// BPS_POWER (e.g. 40_000 = 4x). At most MAX_SENIOR_JUNIOR_RATIO_BPS.
    pub max_senior_junior_ratio_bps: u32,
    /// Coverage limit of a senior deposit, at most `max_senior_junior_ratio_bps`: the gap is the
    /// junior NAV that senior inflows alone can never lock in (docs/design.md "LP tranches").
    pub senior_deposit_ratio_bps: u32,
    /// Senior capacity: no senior deposit may take the senior NAV above this (USD); 0 = no cap.
    pub max_senior_usd: u64,
    pub mint_bump: u8,
}

impl SeniorTranche {
    pub fn terms(&self) -> SeniorTerms {
        SeniorTerms {
            index: self.index,
            index_time: self.index_time,
            rate_bps: self.rate_bps,
        }
    }
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

    /// Whether `add_senior_tranche` gave the pool a senior tranche.
    pub fn is_tranched(&self) -> bool {
        self.senior.mint != Pubkey::default()
    }

    /// The tranche whose LP mint `mint` is, or None for a key that is not one of the pool's
    /// LP mints.
    pub fn lp_mint_tranche(&self, mint: &Pubkey) -> Option<Tranche> {
        if *mint == self.lp_token_mint {
            Some(Tranche::Junior)
        } else if self.is_tranched() && *mint == self.senior.mint {
            Some(Tranche::Senior)
        } else {
            None
        }
    }

    /// The tranches' NAVs at AUM `aum_usd` (in `mode`) at `now`, rounded to value `priced` in
    /// the pool's favour (`math::tranche::tranche_navs`). Without tranches: all junior.
    pub fn tranche_navs(
        &self,
        aum_usd: u128,
        now: i64,
        priced: Tranche,
        mode: AumMode,
    ) -> Result<TrancheNavs> {
        tranche_navs(
            aum_usd,
            &self.senior.terms(),
            self.senior.supply,
            now,
            priced,
            mode,
        )
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
        match target {
            Some(target) => self.custody_valuations_with(&[target], remaining, now),
            None => self.custody_valuations_with(&[], remaining, now),
        }
    }

    /// Every custody's valuation at `now`, in `pool.custodies` order: the `targets` (custodies
    /// the instruction loaded itself, distinct) as given, every other one from `remaining`, the
    /// pairs (custody, oracle) in `pool.custodies` order (InvalidCustodyAccounts otherwise).
    pub fn custody_valuations_with(
        &self,
        targets: &[(Pubkey, CustodyValuation)],
        remaining: &[AccountInfo],
        now: i64,
    ) -> Result<Vec<CustodyValuation>> {
        for (index, (key, _)) in targets.iter().enumerate() {
            require!(
                self.custody_index(key).is_some(),
                PerpPoolError::InvalidCustodyAccounts
            );
            require!(
                !targets
                    .iter()
                    .skip(index.saturating_add(1))
                    .any(|(other, _)| other == key),
                PerpPoolError::InvalidCustodyAccounts
            );
        }
        let others = self.custodies.len().saturating_sub(targets.len());
        require!(
            others.checked_mul(2) == Some(remaining.len()),
            PerpPoolError::InvalidCustodyAccounts
        );

        let mut valuations = Vec::with_capacity(self.custodies.len());
        let mut pairs = remaining.chunks_exact(2);
        for key in &self.custodies {
            if let Some((_, valuation)) = targets.iter().find(|(target, _)| target == key) {
                valuations.push(*valuation);
                continue;
            }
            let priced = PricedCustody::load(*key, pairs.next(), now)?;
            valuations.push(priced.valuation(now)?);
        }
        Ok(valuations)
    }

    /// Every custody of the pool with its oracle prices at `now`, from `remaining`: the pairs
    /// (custody, oracle) of ALL custodies in `pool.custodies` order (InvalidCustodyAccounts
    /// otherwise). For views that need more of each custody than its valuation.
    pub fn priced_custodies(
        &self,
        remaining: &[AccountInfo],
        now: i64,
    ) -> Result<Vec<PricedCustody>> {
        require!(
            self.custodies.len().checked_mul(2) == Some(remaining.len()),
            PerpPoolError::InvalidCustodyAccounts
        );
        let mut pairs = remaining.chunks_exact(2);
        self.custodies
            .iter()
            .map(|key| PricedCustody::load(*key, pairs.next(), now))
            .collect()
    }
}

/// A custody loaded from a remaining-accounts pair, with its oracle read and checked at `now`.
pub struct PricedCustody {
    pub key: Pubkey,
    pub custody: Custody,
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
}

impl PricedCustody {
    /// Loads `pair` = (custody, oracle), which must be the custody `key`.
    fn load(key: Pubkey, pair: Option<&[AccountInfo]>, now: i64) -> Result<PricedCustody> {
        let [custody_info, oracle_info] =
            pair.ok_or_else(|| error!(PerpPoolError::InvalidCustodyAccounts))?
        else {
            return err!(PerpPoolError::InvalidCustodyAccounts);
        };
        require_keys_eq!(
            custody_info.key(),
            key,
            PerpPoolError::InvalidCustodyAccounts
        );
        let custody = Custody::load(custody_info)?;
        let (spot, ema) = read_oracle_price(oracle_info, &custody.oracle, now)?;
        let (min_price, max_price) = min_max_price(spot, ema)?;
        Ok(PricedCustody {
            key,
            custody,
            min_price,
            max_price,
        })
    }

    /// The custody's valuation at `now` (`Custody::valuation`).
    pub fn valuation(&self, now: i64) -> Result<CustodyValuation> {
        self.custody.valuation(self.min_price, self.max_price, now)
    }
}

pub struct LiquidityValuation {
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
    pub valuations: Vec<CustodyValuation>,
    /// Index of the changed custody in `valuations`.
    pub custody_index: usize,
}
