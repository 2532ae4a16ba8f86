//! `Trading`: `setup()` plus a traded SOL custody and 5_000 USDC of liquidity, with the
//! position instruction builders (open, close, decrease, collateral, liquidate, close at cap)
//! and the position views.

use super::{ix, pda, setup, with_remaining, Env, USD};
use anchor_spl::token::spl_token;
use perp_pool::{
    accounts,
    constants::*,
    instruction,
    instructions::*,
    math::pnl::ProfitAndLoss,
    state::{
        custody::{Custody, Fees, PricingParams},
        position::Side,
    },
};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_program,
};

/// A SOL-like market: no spread, 1x..50x initial, 100x maintenance, 1x payoff.
pub fn sol_pricing() -> PricingParams {
    PricingParams {
        use_ema: false,
        trade_spread_long_bps: 0,
        trade_spread_short_bps: 0,
        min_initial_leverage_bps: 10_000,
        max_initial_leverage_bps: 500_000,
        max_leverage_bps: 1_000_000,
        max_payoff_mult_bps: 10_000,
        max_utilization: 0,
        max_position_size_usd: 0,
        max_total_locked_usd: 0,
    }
}

pub fn sol_fees() -> Fees {
    Fees {
        open_position_bps: 10,
        close_position_bps: 10,
        liquidation_bps: 50,
        liquidator_reward_bps: 20,
        ..Fees::default()
    }
}

/// `setup()` plus a traded SOL custody (9 decimals, no tokens) at 150 USD and 5_000 USDC of
/// liquidity; the USDC custody is the collateral custody (50 % protocol share, no insurance share).
pub struct Trading {
    pub env: Env,
    pub sol_custody: Pubkey,
    pub sol_oracle: Pubkey,
    /// Count of USDC oracle refreshes (see `set_sol_price`).
    pub refreshes: u64,
}

pub fn setup_trading() -> Trading {
    let mut env = setup();
    // The trader pays the position's rent.
    let user = env.user.pubkey();
    env.fund(user, 1_000_000_000);
    let sol_mint = env.create_mint(9);
    let ix = env.add_custody_full_ix(sol_mint, false, sol_fees(), sol_pricing());
    let admin = env.admin.insecure_clone();
    env.send(&[ix], &[&admin]).unwrap();
    let sol_custody = pda(&[CUSTODY_SEED, env.pool.as_ref(), sol_mint.as_ref()]);
    let sol_oracle = pda(&[ORACLE_SEED, sol_custody.as_ref()]);
    env.set_price_of(sol_custody, 15_000_000_000);
    let mut t = Trading {
        env,
        sol_custody,
        sol_oracle,
        refreshes: 0,
    };
    let ix = t.add_liquidity_ix(5_000 * USD);
    let user = t.env.user.insecure_clone();
    t.env.send(&[ix], &[&user]).unwrap();
    t
}

/// Sets SOL so that its PRICE_DECIMALS price is exactly `price` (oracle expo -PRICE_DECIMALS).
pub fn set_sol_price_decimals(t: &mut Trading, price: u64) {
    t.set_sol_price_expo(price, -i32::from(PRICE_DECIMALS));
}

impl Trading {
    /// The user's deposit, with the SOL custody and oracle as remaining accounts.
    pub fn add_liquidity_ix(&self, amount: u64) -> Instruction {
        let ix = self
            .env
            .add_liquidity_ix(self.env.add_liquidity_accounts(), amount, 0);
        with_remaining(ix, &[self.sol_custody, self.sol_oracle])
    }

    pub fn position_key(&self, owner: Pubkey, side: Side) -> Pubkey {
        self.position_key_in(owner, self.sol_custody, self.env.custody, side)
    }

    /// The position of `owner` trading `custody` with collateral in `collateral_custody`.
    pub fn position_key_in(
        &self,
        owner: Pubkey,
        custody: Pubkey,
        collateral_custody: Pubkey,
        side: Side,
    ) -> Pubkey {
        pda(&[
            POSITION_SEED,
            owner.as_ref(),
            self.env.pool.as_ref(),
            custody.as_ref(),
            collateral_custody.as_ref(),
            &[side.seed_byte()],
        ])
    }

    /// The user's `side` position on SOL with USDC collateral.
    pub fn open_accounts(&self, side: Side) -> accounts::OpenPosition {
        let owner = self.env.user.pubkey();
        accounts::OpenPosition {
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
            system_program: system_program::ID,
            token_program: spl_token::ID,
        }
    }

    pub fn open_ix_with(
        &self,
        accounts: accounts::OpenPosition,
        side: Side,
        collateral_amount: u64,
        size_usd: u64,
        price_limit: u64,
    ) -> Instruction {
        ix(
            accounts,
            instruction::OpenPosition {
                params: OpenPositionParams {
                    price_limit,
                    collateral_amount,
                    size_usd,
                    side,
                },
            },
        )
    }

    pub fn open_ix(
        &self,
        side: Side,
        collateral_amount: u64,
        size_usd: u64,
        price_limit: u64,
    ) -> Instruction {
        self.open_ix_with(
            self.open_accounts(side),
            side,
            collateral_amount,
            size_usd,
            price_limit,
        )
    }

    pub fn close_accounts(&self, side: Side) -> accounts::ClosePosition {
        let owner = self.env.user.pubkey();
        accounts::ClosePosition {
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
            token_program: spl_token::ID,
        }
    }

    pub fn close_ix_with(
        &self,
        accounts: accounts::ClosePosition,
        price_limit: u64,
    ) -> Instruction {
        ix(
            accounts,
            instruction::ClosePosition {
                params: ClosePositionParams { price_limit },
            },
        )
    }

    pub fn close_ix(&self, side: Side, price_limit: u64) -> Instruction {
        self.close_ix_with(self.close_accounts(side), price_limit)
    }

    /// Accounts of decrease_position / remove_collateral (the owner is paid).
    pub fn settle_accounts(&self, side: Side) -> accounts::SettlePosition {
        let owner = self.env.user.pubkey();
        accounts::SettlePosition {
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
            token_program: spl_token::ID,
        }
    }

    pub fn decrease_ix(&self, side: Side, size_usd: u64, price_limit: u64) -> Instruction {
        ix(
            self.settle_accounts(side),
            instruction::DecreasePosition {
                params: DecreasePositionParams {
                    price_limit,
                    size_usd,
                },
            },
        )
    }

    pub fn remove_collateral_ix_with(
        &self,
        accounts: accounts::SettlePosition,
        collateral_usd: u64,
    ) -> Instruction {
        ix(
            accounts,
            instruction::RemoveCollateral {
                params: RemoveCollateralParams { collateral_usd },
            },
        )
    }

    pub fn remove_collateral_ix(&self, side: Side, collateral_usd: u64) -> Instruction {
        self.remove_collateral_ix_with(self.settle_accounts(side), collateral_usd)
    }

    /// Accounts shared by increase_position / add_collateral (funding side).
    pub fn funding_accounts(&self, side: Side) -> accounts::FundPosition {
        accounts::FundPosition {
            owner: self.env.user.pubkey(),
            funding_account: self.env.user_token,
            perpetuals: self.env.perpetuals,
            pool: self.env.pool,
            custody: self.sol_custody,
            custody_oracle_account: self.sol_oracle,
            collateral_custody: self.env.custody,
            collateral_custody_oracle_account: self.env.oracle,
            collateral_custody_token_account: self.env.vault,
            position: self.position_key(self.env.user.pubkey(), side),
            token_program: spl_token::ID,
        }
    }

    pub fn increase_ix(
        &self,
        side: Side,
        collateral_amount: u64,
        size_usd: u64,
        price_limit: u64,
    ) -> Instruction {
        ix(
            self.funding_accounts(side),
            instruction::IncreasePosition {
                params: IncreasePositionParams {
                    price_limit,
                    collateral_amount,
                    size_usd,
                },
            },
        )
    }

    pub fn add_collateral_ix(&self, side: Side, collateral_amount: u64) -> Instruction {
        ix(
            self.funding_accounts(side),
            instruction::AddCollateral {
                params: AddCollateralParams { collateral_amount },
            },
        )
    }

    pub fn liquidate_ix(
        &self,
        liquidator: Pubkey,
        receiving_account: Pubkey,
        side: Side,
    ) -> Instruction {
        ix(
            accounts::Liquidate {
                liquidator,
                receiving_account,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                collateral_custody_token_account: self.env.vault,
                position: self.position_key(self.env.user.pubkey(), side),
                token_program: spl_token::ID,
            },
            instruction::Liquidate {},
        )
    }

    pub fn close_capped_ix(
        &self,
        keeper: Pubkey,
        receiving_account: Pubkey,
        keeper_receiving_account: Pubkey,
        side: Side,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        ix(
            accounts::CloseCappedPosition {
                keeper,
                owner,
                receiving_account,
                keeper_receiving_account,
                transfer_authority: self.env.transfer_authority,
                perpetuals: self.env.perpetuals,
                pool: self.env.pool,
                custody: self.sol_custody,
                custody_oracle_account: self.sol_oracle,
                collateral_custody: self.env.custody,
                collateral_custody_oracle_account: self.env.oracle,
                collateral_custody_token_account: self.env.vault,
                position: self.position_key(owner, side),
                token_program: spl_token::ID,
            },
            instruction::CloseCappedPosition {},
        )
    }

    /// A keeper with a USDC account.
    pub fn keeper(&mut self) -> (Keypair, Pubkey) {
        let keeper = Keypair::new();
        let account = self
            .env
            .create_token_account(self.env.mint, keeper.pubkey());
        (keeper, account)
    }

    /// Publishes SOL at `price` (expo -8) and refreshes USDC at 1 USD, both at the current time.
    pub fn set_sol_price(&mut self, price: u64) {
        self.set_sol_price_expo(price, -8);
    }

    /// `set_sol_price` with the oracle exponent `expo`. Each USDC refresh carries a different
    /// confidence so that two refreshes within one timestamp are different transactions (the
    /// bank rejects a repeated one as AlreadyProcessed).
    pub fn set_sol_price_expo(&mut self, price: u64, expo: i32) {
        let sol = self.sol_custody;
        self.env.set_price_of_expo(sol, price, expo);
        self.refreshes += 1;
        let now = self.env.now();
        let authority = self.env.oracle_authority.insecure_clone();
        let ix = self
            .env
            .set_price_ix(authority.pubkey(), 100_000_000, self.refreshes, 0, now);
        self.env.send(&[ix], &[&authority]).unwrap();
    }

    /// Vault balance == owned + collateral + protocol fees + insurance fund + escrow + stake
    /// rewards.
    pub fn assert_vault_balanced(&self) {
        let custody: Custody = self.env.account(self.env.custody);
        let a = custody.assets;
        assert_eq!(
            self.env.token_balance(self.env.vault),
            a.owned
                + a.collateral
                + a.protocol_fees
                + a.insurance_fund
                + a.escrow
                + a.stake_rewards
        );
    }

    /// Accounts of the position views (get_pnl, get_liquidation_price, ...).
    pub fn position_view_accounts(&self, side: Side) -> accounts::PositionView {
        accounts::PositionView {
            perpetuals: self.env.perpetuals,
            pool: self.env.pool,
            custody: self.sol_custody,
            custody_oracle_account: self.sol_oracle,
            collateral_custody: self.env.custody,
            collateral_custody_oracle_account: self.env.oracle,
            position: self.position_key(self.env.user.pubkey(), side),
        }
    }

    pub fn liquidation_price(&mut self, side: Side) -> u64 {
        let view = ix(
            self.position_view_accounts(side),
            instruction::GetLiquidationPrice {},
        );
        self.env.view(view).unwrap()
    }

    pub fn liquidation_state(&mut self, side: Side) -> bool {
        let view = ix(
            self.position_view_accounts(side),
            instruction::GetLiquidationState {},
        );
        self.env.view(view).unwrap()
    }

    pub fn pnl(&mut self, side: Side) -> ProfitAndLoss {
        let view = ix(self.position_view_accounts(side), instruction::GetPnl {});
        self.env.view(view).unwrap()
    }

    /// The remaining accounts of the AUM views: every custody and its oracle, in pool order.
    pub fn aum_remaining(&self) -> Vec<Pubkey> {
        vec![
            self.env.custody,
            self.env.oracle,
            self.sol_custody,
            self.sol_oracle,
        ]
    }
}
