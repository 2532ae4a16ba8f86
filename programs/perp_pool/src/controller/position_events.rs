//! The events of opens and increases, built in one place for every instruction that makes them
//! (`open_position` / `increase_position` by hand, `execute_limit_order` from an order), so the
//! two routes can never report a trade differently.

use {
    super::position::{Increased, Opened},
    crate::{
        events::{PositionIncreased, PositionOpened},
        state::position::Position,
    },
    anchor_lang::prelude::*,
};

impl Opened {
    /// `PositionOpened` of `position` (its state after the open), `collateral_in` tokens taken.
    pub fn event(
        &self,
        pool: Pubkey,
        position_key: Pubkey,
        position: &Position,
        collateral_in: u64,
        cumulative_interest: u128,
    ) -> PositionOpened {
        let amounts = &self.amounts;
        PositionOpened {
            owner: position.owner,
            pool,
            position: position_key,
            custody: position.custody,
            collateral_custody: position.collateral_custody,
            side: position.side,
            price: self.price,
            quantity: amounts.quantity,
            size_usd: position.size_usd,
            collateral_in,
            collateral_amount: amounts.collateral_amount,
            collateral_usd: amounts.collateral_usd,
            locked_amount: amounts.locked_amount,
            fee_usd: amounts.fee_usd,
            fee_amount: amounts.fee_amount,
            protocol_fee_amount: amounts.fee_split.protocol,
            insurance_fee_amount: amounts.fee_split.insurance,
            staker_fee_amount: amounts.fee_split.stakers,
            utilization: amounts.utilization_after,
            borrow_rate: self.borrow_rate,
            cumulative_interest,
            time: position.update_time,
        }
    }
}

impl Increased {
    /// `PositionIncreased` of `position` (its state after the increase) for `size_delta_usd`
    /// added and `collateral_in` tokens taken.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &self,
        pool: Pubkey,
        position_key: Pubkey,
        position: &Position,
        size_delta_usd: u64,
        collateral_in: u64,
        cumulative_interest: u128,
        time: i64,
    ) -> PositionIncreased {
        let amounts = &self.amounts;
        PositionIncreased {
            owner: position.owner,
            pool,
            position: position_key,
            custody: position.custody,
            collateral_custody: position.collateral_custody,
            side: position.side,
            entry_price: self.entry_price,
            size_delta_usd,
            quantity_delta: amounts.quantity_delta,
            collateral_in,
            fee_usd: amounts.fee_usd,
            fee_amount: amounts.fee_amount,
            protocol_fee_amount: amounts.fee_split.protocol,
            insurance_fee_amount: amounts.fee_split.insurance,
            staker_fee_amount: amounts.fee_split.stakers,
            interest_usd: amounts.interest_usd,
            interest_amount: amounts.interest_amount,
            price: position.price,
            quantity: position.quantity,
            size_usd: position.size_usd,
            collateral_amount: position.collateral_amount,
            collateral_usd: position.collateral_usd,
            locked_amount: position.locked_amount,
            utilization: amounts.utilization_after,
            borrow_rate: self.borrow_rate,
            cumulative_interest,
            time,
        }
    }
}
