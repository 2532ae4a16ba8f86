//! Position changes: the trade math applied to the position, its collateral custody's assets and
//! the aggregates every position change must keep current. Every change goes through
//! `PositionAccounts::rebook`, which takes the position's old contribution out of the traded
//! custody's `PositionStats` (and their exposure books) and, when its size or interest snapshot
//! changes, out of the collateral custody's `BorrowRateState`; accrues the collateral custody's
//! interest; applies the change; registers the new state; re-derives the borrow rate; and merges
//! the two copies of an aliased custody (`sync_aliased_custodies`). A handler never does one of
//! these steps itself, so it cannot forget one.

use {
    super::market::{CollateralSnapshot, MarketSnapshot},
    crate::{
        events::PositionDecreased,
        math::{
            pnl::average_entry_price,
            pricing::{check_entry_slippage, check_exit_slippage},
            safe_math::SafeMath,
            trade::{
                check_min_leverage, compute_close_capped_position, compute_decrease_position,
                compute_increase_position, compute_liquidation, compute_open_position,
                compute_remove_collateral, IncreasePositionAmounts, OpenPositionAmounts,
                RemoveCollateralAmounts, SettlementAmounts,
            },
        },
        state::{
            custody::{sync_aliased_custodies, Custody, SettlementKind},
            position::Position,
        },
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// The accounts a position change mutates. `custody` (the traded market) and
/// `collateral_custody` may be the same account (two Anchor copies of it).
pub struct PositionAccounts<'a, 'info> {
    pub custody: &'a mut Account<'info, Custody>,
    pub collateral_custody: &'a mut Account<'info, Custody>,
    pub position: &'a mut Position,
    /// The pool's cached AUM (`pool.aum_usd`), USD: the skew premium's and the exposure caps'
    /// scale.
    pub pool_aum_usd: u128,
}

/// Whether a change touches the collateral custody's lending side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lending {
    /// The position's size or interest snapshot changes, or the custody's owned or locked do:
    /// its `BorrowRateState` aggregates are rebooked and the rate re-derived.
    Rebooked,
    /// Only collateral moves: the lending aggregates and the rate stay as they are.
    Untouched,
}

impl PositionAccounts<'_, '_> {
    /// The one place a position change is booked (see the module doc). The position counts as
    /// registered in the aggregates when its size is positive (every position but one being
    /// opened); `stays_open` says whether it is registered again after `change`. `change` gets the
    /// position and the collateral custody (never the traded custody's stats).
    fn rebook<R>(
        &mut self,
        snapshot: &CollateralSnapshot,
        lending: Lending,
        stays_open: bool,
        change: impl FnOnce(&mut Position, &mut Custody) -> Result<R>,
    ) -> Result<R> {
        let position = &mut *self.position;
        self.custody.accrue_skew_premium(snapshot.now)?;
        if position.size_usd > 0 {
            let decimals = self.custody.decimals;
            self.custody
                .stats_mut(position.side)
                .remove(position, decimals)?;
            self.custody.skew_state.remove_position(position)?;
            if lending == Lending::Rebooked {
                self.collateral_custody
                    .borrow_rate_state
                    .remove_position(position)?;
            }
        }
        self.collateral_custody.accrue_interest(snapshot.now)?;
        let result = change(position, self.collateral_custody)?;
        if stays_open {
            if lending == Lending::Rebooked {
                self.collateral_custody
                    .borrow_rate_state
                    .add_position(position)?;
            }
            let premium_usd = position.premium_usd(
                self.custody
                    .skew_state
                    .cumulative_at(position.side, snapshot.now)?,
            )?;
            self.custody.stats_mut(position.side).add(
                position,
                &snapshot.view,
                snapshot.cumulative_interest,
                premium_usd,
            )?;
            self.custody.skew_state.add_position(position)?;
        }
        self.custody.update_skew_rates(self.pool_aum_usd)?;
        if lending == Lending::Rebooked {
            self.collateral_custody.update_borrow_rate()?;
        }
        sync_aliased_custodies(self.custody, self.collateral_custody);
        Ok(result)
    }

    /// The collateral custody's borrow rate now (after the change), RATE_DECIMALS per hour.
    fn borrow_rate(&self) -> u64 {
        self.collateral_custody.borrow_rate_state.current_rate
    }
}

// ---------------------------------------------------------------------------------------------
// open / increase
// ---------------------------------------------------------------------------------------------

/// What `open_position` asks for, and the keys and bump of the position it creates.
#[derive(Clone, Copy, Debug)]
pub struct OpenRequest {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub side: Side,
    /// Worst acceptable entry price, PRICE_DECIMALS.
    pub price_limit: u64,
    /// Collateral tokens deposited (the open fee is paid out of them).
    pub collateral_in: u64,
    pub size_usd: u64,
    pub bump: u8,
}

/// What an open did.
#[derive(Clone, Copy, Debug)]
pub struct Opened {
    /// Entry price, PRICE_DECIMALS.
    pub price: u64,
    pub amounts: OpenPositionAmounts,
    /// The collateral custody's rate after the open.
    pub borrow_rate: u64,
}

/// Opens `accounts.position` (not yet registered: size 0) at the entry price now: slippage
/// check, `compute_open_position` (the position is checked at the exit price too, so it cannot
/// open liquidatable), then the position, the collateral custody's collateral, fee split, lock
/// and fee statistic. The caller moves `collateral_in` into the vault.
pub fn apply_open(
    mut accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    request: &OpenRequest,
) -> Result<Opened> {
    let side = request.side;
    let price = snapshot.entry_price(side)?;
    check_entry_slippage(side, price, request.price_limit)?;
    let exit = snapshot.exit_price(side)?;
    let amounts = compute_open_position(
        side,
        request.size_usd,
        price,
        exit,
        request.collateral_in,
        &snapshot.collateral.view,
        &snapshot.market.with_aum(accounts.pool_aum_usd),
    )?;
    let premium_cumulative = snapshot.premium_cumulative(side);
    let now = snapshot.now();
    let custody_key = accounts.custody.key();
    let collateral_custody_key = accounts.collateral_custody.key();
    let cumulative_interest = snapshot.collateral.cumulative_interest;
    accounts.rebook(
        &snapshot.collateral,
        Lending::Rebooked,
        true,
        |position, collateral_custody| {
            position.owner = request.owner;
            position.pool = request.pool;
            position.custody = custody_key;
            position.collateral_custody = collateral_custody_key;
            position.side = side;
            position.open_time = now;
            position.update_time = now;
            position.price = price;
            position.size_usd = request.size_usd;
            position.quantity = amounts.quantity;
            position.collateral_amount = amounts.collateral_amount;
            position.collateral_usd = amounts.collateral_usd;
            position.locked_amount = amounts.locked_amount;
            position.cumulative_interest_snapshot = cumulative_interest;
            position.skew_premium_snapshot = premium_cumulative;
            position.realized_pnl_usd = 0;
            position.realized_fees_usd = amounts.fee_usd;
            position.bump = request.bump;

            let assets = &mut collateral_custody.assets;
            assets.collateral = assets.collateral.safe_add(amounts.collateral_amount)?;
            collateral_custody.add_fee_split(&amounts.fee_split)?;
            let assets = &mut collateral_custody.assets;
            assets.locked = assets.locked.safe_add(amounts.locked_amount)?;
            let stat = &mut collateral_custody.collected_fees.open_position_usd;
            *stat = stat.safe_add(amounts.fee_usd)?;
            Ok(())
        },
    )?;
    Ok(Opened {
        price,
        amounts,
        borrow_rate: accounts.borrow_rate(),
    })
}

/// What an increase did.
#[derive(Clone, Copy, Debug)]
pub struct Increased {
    /// Entry price of the added size, PRICE_DECIMALS.
    pub entry_price: u64,
    pub amounts: IncreasePositionAmounts,
    pub borrow_rate: u64,
}

/// Adds `size_usd` (and `collateral_in` tokens, may be 0) to the open position at the entry
/// price now: slippage check, `compute_increase_position` (interest owed so far is settled from
/// the collateral), then the position and the collateral custody's collateral (+ deposit - fee -
/// interest), fee split, interest (to the LPs), lock and fee statistic. The caller moves
/// `collateral_in` into the vault.
pub fn apply_increase(
    mut accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    size_usd: u64,
    collateral_in: u64,
    price_limit: u64,
) -> Result<Increased> {
    let side = accounts.position.side;
    let price = snapshot.entry_price(side)?;
    check_entry_slippage(side, price, price_limit)?;
    let exit = snapshot.exit_price(side)?;
    let interest_usd = snapshot.owed_usd(accounts.position)?;
    let amounts = compute_increase_position(
        &accounts.position.state(),
        size_usd,
        collateral_in,
        price,
        exit,
        interest_usd,
        &snapshot.collateral.view,
        &snapshot.market.with_aum(accounts.pool_aum_usd),
    )?;
    let premium_cumulative = snapshot.premium_cumulative(side);
    let now = snapshot.now();
    let cumulative_interest = snapshot.collateral.cumulative_interest;
    accounts.rebook(
        &snapshot.collateral,
        Lending::Rebooked,
        true,
        |position, collateral_custody| {
            let assets = &mut collateral_custody.assets;
            assets.collateral = assets
                .collateral
                .safe_add(collateral_in)?
                .safe_sub(amounts.fee_amount)?
                .safe_sub(amounts.interest_amount)?;
            collateral_custody.add_fee_split(&amounts.fee_split)?;
            let assets = &mut collateral_custody.assets;
            assets.owned = assets.owned.safe_add(amounts.interest_amount)?;
            assets.locked = assets.locked.safe_add(amounts.locked_delta)?;
            let stat = &mut collateral_custody.collected_fees.open_position_usd;
            *stat = stat.safe_add(amounts.fee_usd)?;

            position.price = amounts.price;
            position.quantity = amounts.quantity;
            position.size_usd = amounts.size_usd;
            position.collateral_amount = amounts.collateral_amount;
            position.collateral_usd = amounts.collateral_usd;
            position.locked_amount = amounts.locked_amount;
            position.cumulative_interest_snapshot = cumulative_interest;
            position.skew_premium_snapshot = premium_cumulative;
            position.update_time = now;
            position.realized_fees_usd = position
                .realized_fees_usd
                .safe_add(amounts.fee_usd)?
                .safe_add(amounts.interest_usd)?;
            Ok(())
        },
    )?;
    Ok(Increased {
        entry_price: price,
        amounts,
        borrow_rate: accounts.borrow_rate(),
    })
}

// ---------------------------------------------------------------------------------------------
// settlement: decrease / close / close at cap / liquidation
// ---------------------------------------------------------------------------------------------

/// Which settlement, under which rule (private, as every enum here: `anchor idl parse` puts each
/// `pub enum` of the crate into the IDL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settlement {
    /// The owner closes `size_usd` (the whole size for a close), the exit price checked against
    /// `price_limit`.
    Decrease { size_usd: u64, price_limit: u64 },
    /// Anyone closes the whole position, only if it is capped (`compute_close_capped_position`);
    /// no price limit: the predicate is the guard.
    CloseAtCap,
    /// Anyone liquidates the whole position, only if it is liquidatable (`compute_liquidation`).
    Liquidation,
}

/// What a settlement did.
#[derive(Clone, Copy, Debug)]
pub struct Settled {
    /// Exit price, PRICE_DECIMALS.
    pub exit_price: u64,
    /// USD of size closed.
    pub size_delta_usd: u64,
    pub amounts: SettlementAmounts,
    /// The collateral custody's index and rate after the settlement.
    pub cumulative_interest: u128,
    pub borrow_rate: u64,
    /// Unix seconds.
    pub time: i64,
}

/// `decrease_position` / `close_position`: the owner closes `size_usd` of the position (all of
/// it for a close) at the exit price now, no worse than `price_limit` (`apply_settlement`).
pub fn apply_decrease(
    accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    size_usd: u64,
    price_limit: u64,
) -> Result<Settled> {
    apply_settlement(
        accounts,
        snapshot,
        Settlement::Decrease {
            size_usd,
            price_limit,
        },
    )
}

/// `close_capped_position`: anyone closes the whole position if it is capped
/// (`apply_settlement`).
pub fn apply_close_at_cap(
    accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
) -> Result<Settled> {
    apply_settlement(accounts, snapshot, Settlement::CloseAtCap)
}

/// `liquidate`: anyone liquidates the whole position if it is liquidatable
/// (`apply_settlement`).
pub fn apply_liquidation(accounts: PositionAccounts, snapshot: &MarketSnapshot) -> Result<Settled> {
    apply_settlement(accounts, snapshot, Settlement::Liquidation)
}

/// Settles the position at the exit price now (all accrued interest included): the math of
/// `settlement`, the collateral custody's assets (`Custody::apply_settlement`, booked as a close
/// or a liquidation fee) and, except for a liquidation, the position (what a partial decrease
/// leaves, all zeros on a full close; the caller closes the account of a full close). A
/// liquidated position is left as it was (its event reports it). The caller pays
/// `amounts.amount_out` to the owner and `amounts.paid.reward_paid` to the keeper.
fn apply_settlement(
    mut accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    settlement: Settlement,
) -> Result<Settled> {
    let side = accounts.position.side;
    let price = snapshot.exit_price(side)?;
    let interest_usd = snapshot.owed_usd(accounts.position)?;
    let premium_cumulative = snapshot.premium_cumulative(side);
    let state = accounts.position.state();
    let insurance_fund = accounts.collateral_custody.assets.insurance_fund;
    let view = &snapshot.collateral.view;
    let market = &snapshot.market;
    let (s, size_delta_usd) = match settlement {
        Settlement::Decrease {
            size_usd,
            price_limit,
        } => {
            check_exit_slippage(side, price, price_limit)?;
            let s = compute_decrease_position(
                &state,
                size_usd,
                price,
                interest_usd,
                insurance_fund,
                view,
                market,
            )?;
            (s, size_usd)
        }
        Settlement::CloseAtCap => {
            let s = compute_close_capped_position(
                &state,
                price,
                interest_usd,
                insurance_fund,
                view,
                market,
            )?;
            (s, state.size_usd)
        }
        Settlement::Liquidation => {
            let s = compute_liquidation(&state, price, interest_usd, insurance_fund, view, market)?;
            (s, state.size_usd)
        }
    };

    let now = snapshot.now();
    let cumulative_interest = snapshot.collateral.cumulative_interest;
    let max_price = snapshot.collateral.max_price;
    if settlement == Settlement::Liquidation {
        accounts.rebook(
            &snapshot.collateral,
            Lending::Rebooked,
            false,
            |_, collateral_custody| {
                collateral_custody.apply_settlement(&s, max_price, SettlementKind::Liquidation)
            },
        )?;
    } else {
        accounts.rebook(
            &snapshot.collateral,
            Lending::Rebooked,
            !s.full,
            |position, collateral_custody| {
                collateral_custody.apply_settlement(&s, max_price, SettlementKind::Close)?;
                position.size_usd = s.size_usd;
                position.quantity = s.quantity;
                position.collateral_amount = s.collateral_amount;
                position.collateral_usd = s.collateral_usd;
                position.locked_amount = s.locked_amount;
                position.cumulative_interest_snapshot = cumulative_interest;
                position.skew_premium_snapshot = premium_cumulative;
                position.update_time = now;
                position.add_realized_pnl(s.pnl.profit_usd, s.pnl.loss_usd);
                position.realized_fees_usd = position
                    .realized_fees_usd
                    .safe_add(s.fee_usd)?
                    .safe_add(s.interest_usd)?;
                if !s.full {
                    // The quantity given back was rounded against the trader: re-derive the
                    // (informational) average entry of what is left.
                    position.price = average_entry_price(side, s.size_usd, s.quantity)?;
                }
                Ok(())
            },
        )?;
    }
    Ok(Settled {
        exit_price: price,
        size_delta_usd,
        amounts: s,
        cumulative_interest,
        borrow_rate: accounts.borrow_rate(),
        time: now,
    })
}

impl Settled {
    /// The `PositionDecreased` event of a decrease, close or close at cap of `position` (its
    /// state after the settlement).
    pub fn decreased_event(
        &self,
        pool: Pubkey,
        position_key: Pubkey,
        position: &Position,
    ) -> PositionDecreased {
        let s = &self.amounts;
        PositionDecreased {
            owner: position.owner,
            pool,
            position: position_key,
            custody: position.custody,
            collateral_custody: position.collateral_custody,
            side: position.side,
            exit_price: self.exit_price,
            size_delta_usd: self.size_delta_usd,
            quantity_delta: s.quantity_delta,
            profit_usd: s.pnl.profit_usd,
            loss_usd: s.pnl.loss_usd,
            fee_usd: s.fee_usd,
            interest_usd: s.interest_usd,
            profit_amount: s.profit_amount,
            lp_paid: s.paid.lp_paid,
            fee_paid: s.paid.fee_paid,
            protocol_fee_amount: s.fee_split.protocol,
            insurance_fee_amount: s.fee_split.insurance,
            staker_fee_amount: s.fee_split.stakers,
            amount_out: s.amount_out,
            collateral_taken: s.collateral_taken,
            locked_released: s.locked_delta,
            insurance_draw: s.insurance_draw,
            bad_debt_usd: s.bad_debt_usd,
            size_usd: position.size_usd,
            quantity: position.quantity,
            collateral_amount: position.collateral_amount,
            collateral_usd: position.collateral_usd,
            locked_amount: position.locked_amount,
            realized_pnl_usd: position.realized_pnl_usd,
            realized_fees_usd: position.realized_fees_usd,
            borrow_rate: self.borrow_rate,
            cumulative_interest: self.cumulative_interest,
            time: self.time,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// collateral
// ---------------------------------------------------------------------------------------------

/// The position's collateral after a collateral change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralChanged {
    pub collateral_amount: u64,
    /// `collateral_amount` at the collateral custody's min price (floor).
    pub collateral_usd: u64,
}

/// Adds `amount` tokens to the open position's collateral (interest is not settled: the size
/// does not change). The caller moves `amount` into the vault.
pub fn apply_add_collateral(
    mut accounts: PositionAccounts,
    snapshot: &CollateralSnapshot,
    amount: u64,
) -> Result<CollateralChanged> {
    let collateral_amount = accounts.position.collateral_amount.safe_add(amount)?;
    let collateral_usd = snapshot.view.value_usd(collateral_amount)?;
    check_min_leverage(
        accounts.position.size_usd,
        collateral_usd,
        &accounts.custody.market(),
    )?;
    let now = snapshot.now;
    accounts.rebook(
        snapshot,
        Lending::Untouched,
        true,
        |position, collateral_custody| {
            position.collateral_amount = collateral_amount;
            position.collateral_usd = collateral_usd;
            position.update_time = now;
            let assets = &mut collateral_custody.assets;
            assets.collateral = assets.collateral.safe_add(amount)?;
            Ok(())
        },
    )?;
    Ok(CollateralChanged {
        collateral_amount,
        collateral_usd,
    })
}

/// Withdraws `collateral_usd` worth of collateral from the open position
/// (`compute_remove_collateral`: the position left stays within the max initial leverage;
/// interest is not settled). The caller pays `amount_out` to the owner.
pub fn apply_remove_collateral(
    mut accounts: PositionAccounts,
    snapshot: &MarketSnapshot,
    collateral_usd: u64,
) -> Result<RemoveCollateralAmounts> {
    let side = accounts.position.side;
    let price = snapshot.exit_price(side)?;
    let interest_usd = snapshot.owed_usd(accounts.position)?;
    let amounts = compute_remove_collateral(
        &accounts.position.state(),
        collateral_usd,
        price,
        interest_usd,
        &snapshot.collateral.view,
        &snapshot.market,
    )?;
    let now = snapshot.now();
    accounts.rebook(
        &snapshot.collateral,
        Lending::Untouched,
        true,
        |position, collateral_custody| {
            position.collateral_amount = amounts.collateral_amount;
            position.collateral_usd = amounts.collateral_usd;
            position.update_time = now;
            let assets = &mut collateral_custody.assets;
            assets.collateral = assets.collateral.safe_sub(amounts.amount_out)?;
            Ok(())
        },
    )?;
    Ok(amounts)
}
