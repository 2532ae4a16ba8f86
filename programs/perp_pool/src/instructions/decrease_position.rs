//! `decrease_position`: closes `size_usd` of a position (strictly less than its size; use
//! `close_position` for all of it). The proportional share of collateral plus the capped profit
//! pays the loss, all accrued interest and the close fee; the owner receives the rest. The
//! position left must not be liquidatable. Also holds `settle_decrease`, the settlement shared
//! with `close_position` and `close_capped_position`.

use {
    super::settle_position::SettlePosition,
    crate::{
        errors::PerpPoolError,
        events::PositionDecreased,
        math::{
            pnl::average_entry_price,
            pricing::exit_price,
            safe_math::SafeMath,
            trade::{compute_close_capped_position, compute_decrease_position},
        },
        state::{
            custody::{sync_aliased_custodies, Custody, SettlementKind},
            perpetuals::Perpetuals,
            position::{Position, Side},
        },
    },
    anchor_lang::prelude::*,
    anchor_spl::token::Token,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct DecreasePositionParams {
    /// Worst acceptable exit price, PRICE_DECIMALS: a long fails (PriceSlippage) below it, a
    /// short above it.
    pub price_limit: u64,
    /// USD to close, 0 < size_usd < position.size_usd.
    pub size_usd: u64,
}

/// Long: `exit >= limit`; short: `exit <= limit`.
pub fn check_exit_slippage(side: Side, price: u64, price_limit: u64) -> Result<()> {
    let ok = match side {
        Side::Long => price >= price_limit,
        Side::Short => price <= price_limit,
    };
    require!(ok, PerpPoolError::PriceSlippage);
    Ok(())
}

/// The accounts a decrease or close touches.
pub struct DecreaseAccounts<'a, 'info> {
    pub perpetuals: &'a Perpetuals,
    pub pool: Pubkey,
    pub position_key: Pubkey,
    pub position: &'a mut Position,
    pub custody: &'a mut Account<'info, Custody>,
    pub custody_oracle_account: AccountInfo<'info>,
    pub collateral_custody: &'a mut Account<'info, Custody>,
    pub collateral_custody_oracle_account: AccountInfo<'info>,
    pub collateral_custody_token_account: AccountInfo<'info>,
    pub receiving_account: AccountInfo<'info>,
    pub transfer_authority: AccountInfo<'info>,
    pub token_program: &'a Program<'info, Token>,
}

/// Who closes and under which rule.
pub enum DecreaseKind<'info> {
    /// The owner: `size_usd` (the whole size for a close), the exit price checked against
    /// `price_limit`.
    Owner { size_usd: u64, price_limit: u64 },
    /// Anyone, the whole position, only if it is capped (`compute_close_capped_position`); the
    /// keeper's reward goes to `keeper_receiving_account`. No price limit: the predicate is the
    /// guard.
    CappedClose {
        keeper_receiving_account: AccountInfo<'info>,
    },
}

/// What a settlement paid, for the caller's own event.
pub struct DecreaseOutcome {
    pub exit_price: u64,
    pub reward_paid: u64,
    pub time: i64,
}

/// Oracle checks, math, mutation, payout and event of a decrease (a close when it is the whole
/// size: the caller closes the account).
pub fn settle_decrease<'info>(
    a: DecreaseAccounts<'_, 'info>,
    kind: DecreaseKind<'info>,
) -> Result<DecreaseOutcome> {
    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let side = a.position.side;
    let prices = a
        .custody
        .read_trade_prices(&a.custody_oracle_account, now)?;
    let (min_price, max_price) = a
        .collateral_custody
        .read_min_max_price(&a.collateral_custody_oracle_account, now)?;

    // math
    let price = exit_price(side, prices, a.custody.pricing.spread_bps(side))?;
    let cumulative_interest = a
        .collateral_custody
        .borrow_rate_state
        .cumulative_interest_at(now)?;
    let interest_usd = a.position.interest_usd(cumulative_interest)?;
    let collateral_view = a.collateral_custody.collateral_view(min_price, max_price);
    let (s, size_usd, keeper_receiving_account) = match kind {
        DecreaseKind::Owner {
            size_usd,
            price_limit,
        } => {
            check_exit_slippage(side, price, price_limit)?;
            let s = compute_decrease_position(
                &a.position.state(),
                size_usd,
                price,
                interest_usd,
                a.collateral_custody.assets.insurance_fund,
                &collateral_view,
                &a.custody.market(),
            )?;
            (s, size_usd, None)
        }
        DecreaseKind::CappedClose {
            keeper_receiving_account,
        } => {
            let s = compute_close_capped_position(
                &a.position.state(),
                price,
                interest_usd,
                a.collateral_custody.assets.insurance_fund,
                &collateral_view,
                &a.custody.market(),
            )?;
            (s, a.position.size_usd, Some(keeper_receiving_account))
        }
    };

    // mutate: take the position's old contribution out of the aggregates, update, put it back
    a.custody.stats_mut(side).remove(a.position)?;
    let collateral_custody: &mut Custody = a.collateral_custody;
    collateral_custody
        .borrow_rate_state
        .remove_position(a.position)?;
    collateral_custody.accrue_interest(now)?;
    collateral_custody.apply_settlement(&s, max_price, SettlementKind::Close)?;
    let position = &mut *a.position;
    position.size_usd = s.size_usd;
    position.quantity = s.quantity;
    position.collateral_amount = s.collateral_amount;
    position.collateral_usd = s.collateral_usd;
    position.locked_amount = s.locked_amount;
    position.cumulative_interest_snapshot = cumulative_interest;
    position.update_time = now;
    position.add_realized_pnl(s.pnl.profit_usd, s.pnl.loss_usd);
    position.realized_fees_usd = position
        .realized_fees_usd
        .safe_add(s.fee_usd)?
        .safe_add(s.interest_usd)?;
    if !s.full {
        // The quantity given back was rounded against the trader: re-derive the (informational)
        // average entry of what is left.
        position.price = average_entry_price(side, s.size_usd, s.quantity)?;
        collateral_custody
            .borrow_rate_state
            .add_position(position)?;
        a.custody
            .stats_mut(side)
            .add(position, &collateral_view, cumulative_interest)?;
    }
    collateral_custody.update_borrow_rate()?;
    let borrow_rate = collateral_custody.borrow_rate_state.current_rate;
    sync_aliased_custodies(a.custody, a.collateral_custody);

    // CPI
    if s.amount_out > 0 {
        a.perpetuals.transfer_from_vault(
            a.collateral_custody_token_account.clone(),
            a.receiving_account,
            a.transfer_authority.clone(),
            a.token_program,
            s.amount_out,
        )?;
    }
    if let Some(keeper_receiving_account) = keeper_receiving_account {
        if s.paid.reward_paid > 0 {
            a.perpetuals.transfer_from_vault(
                a.collateral_custody_token_account,
                keeper_receiving_account,
                a.transfer_authority,
                a.token_program,
                s.paid.reward_paid,
            )?;
        }
    }

    // emit
    emit!(PositionDecreased {
        owner: position.owner,
        pool: a.pool,
        position: a.position_key,
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side,
        exit_price: price,
        size_delta_usd: size_usd,
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
        borrow_rate,
        cumulative_interest,
        time: now,
    });
    Ok(DecreaseOutcome {
        exit_price: price,
        reward_paid: s.paid.reward_paid,
        time: now,
    })
}

pub fn handler(ctx: Context<SettlePosition>, params: &DecreasePositionParams) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.size_usd > 0, PerpPoolError::ZeroAmount);
    require!(
        params.size_usd < ctx.accounts.position.size_usd,
        PerpPoolError::InvalidPositionState
    );

    let accounts = ctx.accounts;
    settle_decrease(
        DecreaseAccounts {
            perpetuals: &accounts.perpetuals,
            pool: accounts.pool.key(),
            position_key: accounts.position.key(),
            position: &mut accounts.position,
            custody: &mut accounts.custody,
            custody_oracle_account: accounts.custody_oracle_account.to_account_info(),
            collateral_custody: &mut accounts.collateral_custody,
            collateral_custody_oracle_account: accounts
                .collateral_custody_oracle_account
                .to_account_info(),
            collateral_custody_token_account: accounts
                .collateral_custody_token_account
                .to_account_info(),
            receiving_account: accounts.receiving_account.to_account_info(),
            transfer_authority: accounts.transfer_authority.to_account_info(),
            token_program: &accounts.token_program,
        },
        DecreaseKind::Owner {
            size_usd: params.size_usd,
            price_limit: params.price_limit,
        },
    )?;
    Ok(())
}
