//! A custody: one token of a pool, its vault, oracle, fee and pricing parameters, borrow rate,
//! asset accounting and the aggregate statistics of the positions trading it.

use {
    crate::{
        errors::PerpPoolError,
        math::{
            backing::{aliased_registration, BookEntry, Registration},
            borrow::{accrued_cumulative_interest, borrow_rate, utilization},
            exposure::{crossing, position_thresholds, ExposureBook, Threshold},
            fees::FeeSplit,
            liquidity::{side_price, AumMode, CustodyValuation, TradingValuation},
            oracle::{min_max_price, OraclePrice},
            pricing::{trade_prices, TradePrices},
            safe_math::{cast, Rounding, SafeMath},
            skew::net_exposure_usd,
            trade::{CollateralCustody, Market, MarketSkew, SettlementAmounts},
            weights::SwapLeg,
        },
        state::{
            oracle::{read_oracle_price, OracleParams},
            position::Position,
            skew::SkewState,
        },
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// Defined in the leaf `types` module (the math reads them); re-exported at their old path.
pub use crate::types::{
    BorrowRateParams, Fees, OrderParams, PricingParams, SkewParams, WeightParams,
};

/// The custody's lending state: its rate, index and the aggregates of the positions borrowing
/// from it (positions whose collateral custody it is), so accrued interest is known without a scan.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct BorrowRateState {
    /// Rate since `last_update`, RATE_DECIMALS per hour.
    pub current_rate: u64,
    /// Σ rate * seconds, exact (RATE_DECIMALS x seconds; `math::borrow`).
    pub cumulative_interest: u128,
    /// Unix seconds of the last accrual.
    pub last_update: i64,
    /// USD: Σ size_usd of the open positions borrowing from this custody.
    pub borrow_size_usd: u64,
    /// Σ size_usd * cumulative_interest_snapshot over those positions.
    pub interest_weighted: u128,
}

/// Aggregates of one side of one market (kept on the traded custody).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct PositionStats {
    pub open_positions: u64,
    /// USD.
    pub size_usd: u64,
    /// USD: Σ position.collateral_usd (values at each position's last change).
    pub collateral_usd: u64,
    /// Collateral custody tokens: Σ position.locked_amount.
    pub locked_amount: u64,
    /// QUANTITY_DECIMALS: Σ position.quantity (exact: each position keeps its own quantity).
    pub total_quantity: u128,
    /// Σ size_usd * cumulative_interest_snapshot (snapshots of each position's collateral
    /// custody index).
    pub interest_weighted: u128,
    /// USD: Σ of the payoff caps the positions registered (`Position::exposure_max_profit_usd`):
    /// the most the side can win in total, whatever `max_payoff_mult_bps` is now.
    pub max_profit_usd: u128,
    /// The positions' payoff-cap thresholds (`math::exposure`): bounds the profit above caps
    /// that `size_usd`/`total_quantity` alone would count (max-mode AUM).
    pub cap_book: ExposureBook,
    /// The positions' bankruptcy thresholds: bounds the bad debt the aggregates would net
    /// against other positions (min-mode AUM).
    pub bankruptcy_book: ExposureBook,
    /// QUANTITY_DECIMALS: Σ collateral of the asset-backed positions (collateral custody = this
    /// custody), their tokens in quantity units (`math::backing`); their `collateral_usd` is not
    /// in `collateral_usd`. The side's collateral at price P is `collateral_usd + this · P`.
    pub collateral_quantity: u128,
    /// QUANTITY_DECIMALS: Σ locked tokens of the asset-backed positions in quantity units; their
    /// payoff caps are not in `max_profit_usd`. The side's cap at P is `max_profit_usd + this · P`.
    pub max_profit_quantity: u128,
}

/// Token amounts (base units of the custody mint).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Assets {
    /// Tokens that belong to the pool (LPs). Vault = owned + collateral + protocol_fees +
    /// insurance_fund + escrow + stake_rewards, always.
    pub owned: u64,
    /// Part of `owned` reserved for open positions' payouts.
    pub locked: u64,
    /// Fees owed to the protocol, held in the vault until withdrawn.
    pub protocol_fees: u64,
    /// Traders' collateral (positions whose collateral custody this is).
    pub collateral: u64,
    /// First backstop for liquidation shortfalls, fed by `insurance_share_bps` of trading fees.
    pub insurance_fund: u64,
    /// Held for open trigger orders whose collateral custody this is: every order's executor
    /// fee and every limit order's collateral, until the order executes or is cancelled.
    pub escrow: u64,
    /// Held for LP stakers (`staker_share_bps` of every trading fee this custody receives), until
    /// claimed (`claim_stake_rewards`) or handed back to the LPs by the stake pool (a tranche slot
    /// with no weight). Not LP-owned, never in AUM.
    pub stake_rewards: u64,
}

/// Cumulative fee statistics, USD_DECIMALS, valued at the price of each operation.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct FeesStats {
    pub add_liquidity_usd: u64,
    pub remove_liquidity_usd: u64,
    pub open_position_usd: u64,
    pub close_position_usd: u64,
    pub liquidation_usd: u64,
}

/// PDA `[CUSTODY_SEED, pool, mint]`.
#[account]
#[derive(Debug, InitSpace)]
pub struct Custody {
    pub pool: Pubkey,
    pub mint: Pubkey,
    /// The vault, PDA `[CUSTODY_TOKEN_ACCOUNT_SEED, pool, mint]`.
    pub token_account: Pubkey,
    pub decimals: u8,
    pub is_stable: bool,
    pub oracle: OracleParams,
    pub fees: Fees,
    pub pricing: PricingParams,
    pub borrow_rate: BorrowRateParams,
    pub borrow_rate_state: BorrowRateState,
    pub assets: Assets,
    pub collected_fees: FeesStats,
    /// Positions trading this custody, by side.
    pub long_positions: PositionStats,
    pub short_positions: PositionStats,
    /// USD of liquidation shortfalls that neither the position nor the insurance fund covered.
    pub bad_debt_usd: u64,
    pub bump: u8,
    pub token_account_bump: u8,
    /// Trigger orders on this market (when it is traded): how many per owner, the executor fee.
    pub orders: OrderParams,
    /// Tokens ever booked into `assets.stake_rewards` by fee splits: a monotone counter the stake
    /// pool pulls from (`StakePool::pulled_routed` is how much of it the stake pool has taken in).
    pub stake_rewards_routed: u128,
    /// The custody's target share of a multi-asset pool and its bounds and steering fees
    /// (`set_custody_weights`; all zero: no weight rule).
    pub weights: WeightParams,
    /// The market's skew premium and exposure caps (`set_skew_config`; all zero = none).
    pub skew: SkewParams,
    /// The market's borrow-premium indexes and aggregates (`state::skew`).
    pub skew_state: SkewState,
}

impl PositionStats {
    /// Adds `position` to the side's aggregates and books, registering its exposure thresholds
    /// first from its health now: collateral and payoff cap valued by `collateral` (min price,
    /// floor) and the interest it owes at `cumulative_interest` plus the borrow premium it owes
    /// (`premium_usd`); an asset-backed position (`Position::is_aliased`) in token terms instead
    /// (`math::backing::aliased_registration`). Every change of a position is `remove` (old
    /// state) then `add` (new state), so the books always hold current thresholds.
    pub fn add(
        &mut self,
        position: &mut Position,
        collateral: &CollateralCustody,
        cumulative_interest: u128,
        premium_usd: u64,
    ) -> Result<()> {
        let interest_usd = position
            .interest_usd(cumulative_interest)?
            .safe_add(premium_usd)?;
        let r = if position.is_aliased() {
            aliased_registration(
                position.side,
                position.quantity,
                position.size_usd,
                position.collateral_amount,
                position.locked_amount,
                collateral.decimals,
                interest_usd,
            )?
        } else {
            let max_profit_usd = collateral.value_usd(position.locked_amount)?;
            let (cap_usd, bankruptcy_usd) = position_thresholds(
                position.side,
                position.size_usd,
                collateral.value_usd(position.collateral_amount)?,
                max_profit_usd,
                interest_usd,
            )?;
            Registration {
                cap: BookEntry {
                    quantity: position.quantity,
                    usd: cap_usd,
                },
                bankruptcy: BookEntry {
                    quantity: position.quantity,
                    usd: bankruptcy_usd,
                },
                max_profit_usd,
                ..Registration::default()
            }
        };
        position.exposure_cap_usd = r.cap.usd;
        position.exposure_bankruptcy_usd = r.bankruptcy.usd;
        position.exposure_max_profit_usd = r.max_profit_usd;
        self.max_profit_usd = self.max_profit_usd.safe_add(u128::from(r.max_profit_usd))?;
        self.collateral_quantity = self.collateral_quantity.safe_add(r.collateral_quantity)?;
        self.max_profit_quantity = self.max_profit_quantity.safe_add(r.max_profit_quantity)?;
        self.open_positions = self.open_positions.safe_add(1)?;
        self.size_usd = self.size_usd.safe_add(position.size_usd)?;
        self.collateral_usd = self
            .collateral_usd
            .safe_add(position.stats_collateral_usd())?;
        self.locked_amount = self.locked_amount.safe_add(position.locked_amount)?;
        self.total_quantity = self.total_quantity.safe_add(position.quantity)?;
        self.interest_weighted = self
            .interest_weighted
            .safe_add(position.interest_weight()?)?;
        self.cap_book.add(
            crossing(position.side, Threshold::Cap),
            r.cap.quantity,
            r.cap.usd,
        )?;
        self.bankruptcy_book.add(
            crossing(position.side, Threshold::Bankruptcy),
            r.bankruptcy.quantity,
            r.bankruptcy.usd,
        )
    }

    /// Exactly undoes `add` of the same position state (its registered thresholds; an
    /// asset-backed position's book quantities re-derived from its unchanged amounts, `decimals`
    /// those of this custody, its collateral custody).
    pub fn remove(&mut self, position: &Position, decimals: u8) -> Result<()> {
        let (cap_quantity, bankruptcy_quantity, collateral_quantity, max_profit_quantity) =
            if position.is_aliased() {
                let r = aliased_registration(
                    position.side,
                    position.quantity,
                    position.size_usd,
                    position.collateral_amount,
                    position.locked_amount,
                    decimals,
                    0,
                )?;
                (
                    r.cap.quantity,
                    r.bankruptcy.quantity,
                    r.collateral_quantity,
                    r.max_profit_quantity,
                )
            } else {
                (position.quantity, position.quantity, 0, 0)
            };
        self.open_positions = self.open_positions.safe_sub(1)?;
        self.size_usd = self.size_usd.safe_sub(position.size_usd)?;
        self.collateral_usd = self
            .collateral_usd
            .safe_sub(position.stats_collateral_usd())?;
        self.locked_amount = self.locked_amount.safe_sub(position.locked_amount)?;
        self.total_quantity = self.total_quantity.safe_sub(position.quantity)?;
        self.interest_weighted = self
            .interest_weighted
            .safe_sub(position.interest_weight()?)?;
        self.max_profit_usd = self
            .max_profit_usd
            .safe_sub(u128::from(position.exposure_max_profit_usd))?;
        self.collateral_quantity = self.collateral_quantity.safe_sub(collateral_quantity)?;
        self.max_profit_quantity = self.max_profit_quantity.safe_sub(max_profit_quantity)?;
        self.cap_book.remove(
            crossing(position.side, Threshold::Cap),
            cap_quantity,
            position.exposure_cap_usd,
        )?;
        self.bankruptcy_book.remove(
            crossing(position.side, Threshold::Bankruptcy),
            bankruptcy_quantity,
            position.exposure_bankruptcy_usd,
        )
    }
}

impl BorrowRateState {
    /// The index at `now` without writing it (views and pool valuation).
    pub fn cumulative_interest_at(&self, now: i64) -> Result<u128> {
        accrued_cumulative_interest(
            self.cumulative_interest,
            self.current_rate,
            self.last_update,
            now,
        )
    }

    /// Accrues `current_rate` up to `now` (before any change of the custody's utilisation).
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        self.cumulative_interest = self.cumulative_interest_at(now)?;
        self.last_update = self.last_update.max(now);
        Ok(())
    }

    pub fn add_position(&mut self, position: &Position) -> Result<()> {
        self.borrow_size_usd = self.borrow_size_usd.safe_add(position.size_usd)?;
        self.interest_weighted = self
            .interest_weighted
            .safe_add(position.interest_weight()?)?;
        Ok(())
    }

    pub fn remove_position(&mut self, position: &Position) -> Result<()> {
        self.borrow_size_usd = self.borrow_size_usd.safe_sub(position.size_usd)?;
        self.interest_weighted = self
            .interest_weighted
            .safe_sub(position.interest_weight()?)?;
        Ok(())
    }
}

impl Custody {
    /// Loads a custody from an unchecked account (remaining accounts): owner and discriminator
    /// are checked, any failure is InvalidCustodyAccounts.
    pub fn load(info: &AccountInfo) -> Result<Custody> {
        require_keys_eq!(
            *info.owner,
            crate::ID,
            PerpPoolError::InvalidCustodyAccounts
        );
        let data = info.try_borrow_data()?;
        Custody::try_deserialize(&mut &data[..])
            .map_err(|_| error!(PerpPoolError::InvalidCustodyAccounts))
    }

    /// The custody as the pool valuation sees it at `now`: its tokens, the aggregates of the
    /// positions trading it and the interest owed to it (index accrued to `now`, not written).
    pub fn valuation(
        &self,
        min_price: OraclePrice,
        max_price: OraclePrice,
        now: i64,
    ) -> Result<CustodyValuation> {
        let premium = self.skew_state.index().at(now)?;
        Ok(CustodyValuation {
            owned: self.assets.owned,
            decimals: self.decimals,
            min_price,
            max_price,
            trading: TradingValuation {
                long_size_usd: self.long_positions.size_usd,
                long_quantity: self.long_positions.total_quantity,
                long_collateral_usd: self.long_positions.collateral_usd,
                short_size_usd: self.short_positions.size_usd,
                short_quantity: self.short_positions.total_quantity,
                short_collateral_usd: self.short_positions.collateral_usd,
                long_max_profit_usd: self.long_positions.max_profit_usd,
                short_max_profit_usd: self.short_positions.max_profit_usd,
                long_collateral_quantity: self.long_positions.collateral_quantity,
                long_max_profit_quantity: self.long_positions.max_profit_quantity,
                short_collateral_quantity: self.short_positions.collateral_quantity,
                short_max_profit_quantity: self.short_positions.max_profit_quantity,
                borrow_size_usd: self.borrow_rate_state.borrow_size_usd,
                interest_weighted: self.borrow_rate_state.interest_weighted,
                cumulative_interest: self.borrow_rate_state.cumulative_interest_at(now)?,
                long_profit_above_cap_usd: self.long_positions.cap_book.excess_usd(
                    crossing(Side::Long, Threshold::Cap),
                    side_price(Side::Long, AumMode::Max, min_price, max_price)?.0,
                )?,
                long_bad_debt_usd: self.long_positions.bankruptcy_book.excess_usd(
                    crossing(Side::Long, Threshold::Bankruptcy),
                    side_price(Side::Long, AumMode::Min, min_price, max_price)?.0,
                )?,
                short_profit_above_cap_usd: self.short_positions.cap_book.excess_usd(
                    crossing(Side::Short, Threshold::Cap),
                    side_price(Side::Short, AumMode::Max, min_price, max_price)?.0,
                )?,
                short_bad_debt_usd: self.short_positions.bankruptcy_book.excess_usd(
                    crossing(Side::Short, Threshold::Bankruptcy),
                    side_price(Side::Short, AumMode::Min, min_price, max_price)?.0,
                )?,
                long_premium_cumulative: premium.long_cumulative,
                long_premium_weighted: self.skew_state.long_weighted,
                short_premium_cumulative: premium.short_cumulative,
                short_premium_weighted: self.skew_state.short_weighted,
            },
        })
    }

    /// Tokens that may leave the pool: owned minus what open positions have locked.
    /// The custody as one leg of a swap (`math::weights::quote_swap`), at `index` in the pool.
    pub fn swap_leg(&self, index: usize) -> SwapLeg {
        SwapLeg {
            index,
            weights: self.weights,
            owned: self.assets.owned,
            locked: self.assets.locked,
            max_utilization: self.pricing.max_utilization,
        }
    }

    pub fn available_amount(&self) -> Result<u64> {
        self.assets.owned.safe_sub(self.assets.locked)
    }

    /// Utilisation of this custody's liquidity, RATE_DECIMALS.
    pub fn utilization(&self) -> Result<u64> {
        utilization(self.assets.locked, self.assets.owned)
    }

    /// Accrues interest to `now`; call before changing owned or locked.
    pub fn accrue_interest(&mut self, now: i64) -> Result<()> {
        self.borrow_rate_state.accrue(now)
    }

    /// Re-derives `current_rate` from the current utilisation; call after changing owned or
    /// locked (after `accrue_interest`).
    pub fn update_borrow_rate(&mut self) -> Result<()> {
        let params = self.borrow_rate;
        self.borrow_rate_state.current_rate = borrow_rate(
            self.utilization()?,
            params.base_rate,
            params.slope1,
            params.slope2,
            params.optimal_utilization,
        )?;
        Ok(())
    }

    pub fn stats_mut(&mut self, side: Side) -> &mut PositionStats {
        match side {
            Side::Long => &mut self.long_positions,
            Side::Short => &mut self.short_positions,
        }
    }

    /// Writes a custody loaded with `load` back to its (writable) account.
    pub fn store(&self, info: &AccountInfo) -> Result<()> {
        require!(info.is_writable, PerpPoolError::InvalidCustodyAccounts);
        let mut data = info.try_borrow_mut_data()?;
        let mut writer: &mut [u8] = &mut data;
        self.try_serialize(&mut writer)
    }
}

/// Which fee statistic a settlement books its fee under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementKind {
    Close,
    Liquidation,
}

impl Custody {
    /// This custody as the collateral (lending) side of a trade, at its current min/max price.
    pub fn collateral_view(
        &self,
        min_price: OraclePrice,
        max_price: OraclePrice,
    ) -> CollateralCustody {
        CollateralCustody {
            decimals: self.decimals,
            min_price,
            max_price,
            owned: self.assets.owned,
            locked: self.assets.locked,
            pricing: self.pricing,
            fees: self.fees,
            borrow_rate: self.borrow_rate,
        }
    }

    /// This custody as a traded market.
    pub fn market(&self) -> Market {
        Market {
            pricing: self.pricing,
            fees: self.fees,
            skew: MarketSkew {
                params: self.skew,
                net_usd: self.net_exposure_usd(),
                // Set by the caller that knows the pool (`Market::with_aum`).
                aum_usd: 0,
            },
        }
    }

    /// Long OI - short OI of the market this custody is, USD.
    pub fn net_exposure_usd(&self) -> i128 {
        net_exposure_usd(self.long_positions.size_usd, self.short_positions.size_usd)
    }

    /// Accrues the market's premium indexes to `now`; call before changing its open interest.
    pub fn accrue_skew_premium(&mut self, now: i64) -> Result<()> {
        self.skew_state.accrue(now)
    }

    /// Re-derives the market's premium rates from its net now and `aum_usd`; call after a
    /// change of its open interest (after `accrue_skew_premium`).
    pub fn update_skew_rates(&mut self, aum_usd: u128) -> Result<()> {
        let net = self.net_exposure_usd();
        let params = self.skew;
        self.skew_state.update_rates(net, aum_usd, &params)
    }

    /// Reads the oracle (fully checked) and returns the market's trade prices, PRICE_DECIMALS.
    pub fn read_trade_prices(&self, oracle_account: &AccountInfo, now: i64) -> Result<TradePrices> {
        let (spot, ema) = read_oracle_price(oracle_account, &self.oracle, now)?;
        trade_prices(spot, ema, self.pricing.use_ema)
    }

    /// Reads the oracle (fully checked) and returns `(min, max)` of spot and EMA.
    pub fn read_min_max_price(
        &self,
        oracle_account: &AccountInfo,
        now: i64,
    ) -> Result<(OraclePrice, OraclePrice)> {
        let (spot, ema) = read_oracle_price(oracle_account, &self.oracle, now)?;
        min_max_price(spot, ema)
    }

    /// Books a trading fee split (tokens already in the vault).
    pub fn add_fee_split(&mut self, split: &FeeSplit) -> Result<()> {
        self.assets.owned = self.assets.owned.safe_add(split.lp)?;
        self.assets.protocol_fees = self.assets.protocol_fees.safe_add(split.protocol)?;
        self.assets.insurance_fund = self.assets.insurance_fund.safe_add(split.insurance)?;
        self.route_stake_rewards(split.stakers)
    }

    /// Books the stakers' part of a fee: into the `stake_rewards` bucket and the monotone
    /// `stake_rewards_routed` counter the stake pool pulls from.
    fn route_stake_rewards(&mut self, amount: u64) -> Result<()> {
        self.assets.stake_rewards = self.assets.stake_rewards.safe_add(amount)?;
        self.stake_rewards_routed = self.stake_rewards_routed.safe_add(u128::from(amount))?;
        Ok(())
    }

    /// Applies a decrease / close / liquidation to this (collateral) custody's assets. The fee
    /// statistic records the fee actually paid, valued at `max_price` (floor).
    pub fn apply_settlement(
        &mut self,
        settlement: &SettlementAmounts,
        max_price: OraclePrice,
        kind: SettlementKind,
    ) -> Result<()> {
        let assets = &mut self.assets;
        assets.collateral = assets.collateral.safe_sub(settlement.collateral_taken)?;
        assets.owned = assets
            .owned
            .safe_add(settlement.owned_in)?
            .safe_sub(settlement.owned_out)?;
        assets.protocol_fees = assets
            .protocol_fees
            .safe_add(settlement.fee_split.protocol)?;
        assets.insurance_fund = assets
            .insurance_fund
            .safe_add(settlement.fee_split.insurance)?
            .safe_sub(settlement.insurance_draw)?;
        assets.locked = assets.locked.safe_sub(settlement.locked_delta)?;
        self.route_stake_rewards(settlement.fee_split.stakers)?;
        // A statistic saturates: it must never make a liquidation or close fail.
        self.bad_debt_usd = self.bad_debt_usd.saturating_add(settlement.bad_debt_usd);
        let fee_usd: u64 = cast(max_price.token_to_usd(
            settlement.paid.fee_paid,
            self.decimals,
            Rounding::Floor,
        )?)?;
        let stat = match kind {
            SettlementKind::Close => &mut self.collected_fees.close_position_usd,
            SettlementKind::Liquidation => &mut self.collected_fees.liquidation_usd,
        };
        *stat = stat.safe_add(fee_usd)?;
        Ok(())
    }
}

/// When a position trades its own collateral custody (`custody == collateral_custody`), the two
/// Anchor accounts are two copies of one account and Anchor writes both back, the second last.
/// `controller::position` changes the market stats on `custody` and everything else on
/// `collateral_custody`; this merges the stats into `collateral_custody` and makes both copies
/// identical, so whichever is written last is right. A no-op for distinct custodies.
pub fn sync_aliased_custodies(
    custody: &mut Account<Custody>,
    collateral_custody: &mut Account<Custody>,
) {
    if custody.key() == collateral_custody.key() {
        collateral_custody.long_positions = custody.long_positions;
        collateral_custody.short_positions = custody.short_positions;
        collateral_custody.skew_state = custody.skew_state;
        let merged: Custody = (**collateral_custody).clone();
        **custody = merged;
    }
}
