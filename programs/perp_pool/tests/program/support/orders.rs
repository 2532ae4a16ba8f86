//! Trigger orders: scenario helpers (a position to put orders on, placing, asserting a refusal
//! changed nothing) and the instruction builders of the user's orders on the SOL market.

use super::{decode_event, ix, made_unique, pda, setup_trading, Trading, PRICE, USD};
use anchor_spl::token::spl_token;
use perp_pool::{
    accounts,
    constants::ORDER_SEED,
    errors::PerpPoolError,
    events::OrderPlaced,
    instruction,
    instructions::*,
    state::custody::Custody,
    types::{OrderKind, OrderParams, Side},
};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_program,
};

// ---- scenario helpers ---------------------------------------------------------------------

pub const FEE: u64 = 100_000; // the default executor fee, 0.10 USD, in USDC base units
pub const ALL: u64 = u64::MAX;
/// Anchor's AccountNotInitialized: what a second execution of a closed order meets.
pub const ACCOUNT_NOT_INITIALIZED: u32 = 3012;

/// The user's long of 1_500 USD at 150 USD with 100 USDC (98.5 after the open fee): 10 SOL,
/// liquidatable below an exit of 141.8 USD (equity under 15 USD at 100x maintenance).
pub fn long_position() -> Trading {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    t
}

pub fn short_position() -> Trading {
    let mut t = setup_trading();
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).unwrap();
    t
}

pub fn escrow(t: &Trading) -> u64 {
    let custody: Custody = t.env.account(t.env.custody);
    custody.assets.escrow
}

/// Places the user's order `index`; returns its OrderPlaced event.
#[allow(clippy::too_many_arguments)]
pub fn place(
    t: &mut Trading,
    kind: OrderKind,
    side: Side,
    index: u8,
    trigger: u64,
    limit: u64,
    size: u64,
    collateral: u64,
) -> OrderPlaced {
    let user = t.env.user.insecure_clone();
    let ix = t.place_order_ix(kind, side, index, trigger, limit, size, collateral);
    let logs = t.env.send_with_logs(&[ix], &[&user]);
    decode_event(&logs).expect("OrderPlaced")
}

/// Sends `ixs` and asserts that it fails with `code` and that none of `watched` changed.
pub fn expect_refused(t: &mut Trading, ixs: &[Instruction], signers: &[&Keypair], code: u32) {
    let watched = [t.env.custody, t.env.vault, t.sol_custody, t.env.user_token];
    let before: Vec<_> = watched.iter().map(|k| t.env.node.account(k)).collect();
    // Unique: the same instruction may succeed later in this slot (a failed transaction counts as
    // processed).
    let mut ixs = ixs.to_vec();
    ixs[0] = made_unique(ixs[0].clone());
    let failed = t.env.send(&ixs, signers).expect_err("should fail");
    assert_eq!(failed.custom_code(), Some(code), "{failed:#?}");
    let after: Vec<_> = watched.iter().map(|k| t.env.node.account(k)).collect();
    assert_eq!(before, after, "a refused transaction changed an account");
}

pub fn code(e: PerpPoolError) -> u32 {
    u32::from(e)
}

// ---- builders -----------------------------------------------------------------------------

impl Trading {
    /// The user's order `index` on SOL.
    pub fn order_key(&self, index: u8) -> Pubkey {
        let owner = self.env.user.pubkey();
        pda(&[
            ORDER_SEED,
            owner.as_ref(),
            self.sol_custody.as_ref(),
            &[index],
        ])
    }

    pub fn set_order_config_ix(
        &self,
        max_orders_per_owner: u8,
        executor_fee_usd: u64,
    ) -> Instruction {
        ix(
            accounts::SetCustodyConfig {
                admin: self.env.admin.pubkey(),
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
            },
            instruction::SetOrderConfig {
                params: OrderParams {
                    max_orders_per_owner,
                    executor_fee_usd,
                },
            },
        )
    }

    pub fn place_order_accounts(&self, side: Side, index: u8) -> accounts::PlaceOrder {
        let owner = self.env.user.pubkey();
        accounts::PlaceOrder {
            owner,
            funding_account: self.env.user_token,
            perpetuals: self.env.perpetuals,
            pool: self.env.pool,
            custody: self.sol_custody,
            custody_oracle_account: self.sol_oracle,
            collateral_custody: self.env.custody,
            collateral_custody_oracle_account: self.env.oracle,
            collateral_custody_token_account: self.env.vault,
            position: self.position_key(owner, side),
            order: self.order_key(index),
            system_program: system_program::ID,
            token_program: spl_token::ID,
        }
    }

    /// The user places order `index`: `kind` on its `side` position.
    #[allow(clippy::too_many_arguments)]
    pub fn place_order_ix(
        &self,
        kind: OrderKind,
        side: Side,
        index: u8,
        trigger_price: u64,
        price_limit: u64,
        size_usd: u64,
        collateral_amount: u64,
    ) -> Instruction {
        ix(
            self.place_order_accounts(side, index),
            instruction::PlaceOrder {
                params: PlaceOrderParams {
                    index,
                    kind,
                    side,
                    trigger_price,
                    price_limit,
                    size_usd,
                    collateral_amount,
                },
            },
        )
    }

    pub fn edit_order_ix(
        &self,
        signer: Pubkey,
        side: Side,
        index: u8,
        trigger_price: u64,
        price_limit: u64,
        size_usd: u64,
    ) -> Instruction {
        ix(
            accounts::EditOrder {
                owner: signer,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                position: self.position_key(self.env.user.pubkey(), side),
                order: self.order_key(index),
            },
            instruction::EditOrder {
                params: EditOrderParams {
                    trigger_price,
                    price_limit,
                    size_usd,
                },
            },
        )
    }

    pub fn cancel_order_ix(&self, signer: Pubkey, receiving: Pubkey, index: u8) -> Instruction {
        ix(
            accounts::CancelOrder {
                owner: signer,
                receiving_account: receiving,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                collateral_custody: self.env.custody,
                collateral_custody_token_account: self.env.vault,
                order: self.order_key(index),
                token_program: spl_token::ID,
            },
            instruction::CancelOrder {},
        )
    }

    /// `executor` executes the user's TP/SL `index` on its `side` position, paying the user's
    /// token account.
    pub fn execute_trigger_ix(
        &self,
        executor: Pubkey,
        executor_token: Pubkey,
        side: Side,
        index: u8,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        ix(
            accounts::ExecuteTriggerOrder {
                executor,
                executor_receiving_account: executor_token,
                owner,
                receiving_account: self.env.user_token,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                collateral_custody_token_account: self.env.vault,
                position: self.position_key(owner, side),
                order: self.order_key(index),
                token_program: spl_token::ID,
            },
            instruction::ExecuteTriggerOrder {},
        )
    }

    pub fn execute_limit_ix(
        &self,
        executor: Pubkey,
        executor_token: Pubkey,
        side: Side,
        index: u8,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        ix(
            accounts::ExecuteLimitOrder {
                executor,
                executor_receiving_account: executor_token,
                owner,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                collateral_custody_token_account: self.env.vault,
                order: self.order_key(index),
                position: self.position_key(owner, side),
                system_program: system_program::ID,
                token_program: spl_token::ID,
            },
            instruction::ExecuteLimitOrder {},
        )
    }

    pub fn remove_void_ix(
        &self,
        keeper: Pubkey,
        keeper_token: Pubkey,
        side: Side,
        index: u8,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        ix(
            accounts::RemoveVoidOrder {
                keeper,
                keeper_receiving_account: keeper_token,
                owner,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                collateral_custody: self.env.custody,
                collateral_custody_token_account: self.env.vault,
                position: self.position_key(owner, side),
                order: self.order_key(index),
                token_program: spl_token::ID,
            },
            instruction::RemoveVoidOrder {},
        )
    }

    pub fn order_state(&mut self, side: Side, index: u8) -> OrderState {
        let view = ix(
            accounts::GetOrderState {
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                position: self.position_key(self.env.user.pubkey(), side),
                order: self.order_key(index),
            },
            instruction::GetOrderState {},
        );
        self.env.view(view).unwrap()
    }
}
