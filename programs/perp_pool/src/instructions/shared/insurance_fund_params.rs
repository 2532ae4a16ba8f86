//! `InsuranceFundParams`: the params of the two insurance fund instructions
//! (top_up_insurance_fund, withdraw_insurance_fund).

use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct InsuranceFundParams {
    /// Tokens (> 0).
    pub amount: u64,
}
