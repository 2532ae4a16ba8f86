//! Instruction builders for the pool side: initialise, pools, custodies, custom oracle prices,
//! permissions, LP deposits, withdrawals and unlocks, and the pool views. Builders that tests
//! alter return the program's Accounts struct first (`*_accounts`), so an override names the
//! account it replaces.

use super::{ix, pda, with_remaining, Env};
use anchor_spl::token::spl_token;
use perp_pool::{
    accounts,
    constants::*,
    instruction,
    instructions::*,
    state::{
        custody::{BorrowRateParams, Fees, PricingParams},
        oracle::{OracleParams, OracleType},
    },
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Signer, system_program};

/// Every pause switch open.
pub fn all_allowed() -> SetPermissionsParams {
    SetPermissionsParams {
        allow_add_liquidity: true,
        allow_remove_liquidity: true,
        allow_open_position: true,
        allow_close_position: true,
        allow_liquidation: true,
        allow_lp_staking: true,
    }
}

/// `set_custom_oracle_price` for `custody`'s oracle, signed by `signer`.
pub fn set_price_ix_for(
    custody: Pubkey,
    signer: Pubkey,
    params: SetCustomOraclePriceParams,
) -> Instruction {
    ix(
        accounts::SetCustomOraclePrice {
            oracle_authority: signer,
            custody,
            oracle_account: pda(&[ORACLE_SEED, custody.as_ref()]),
            system_program: system_program::ID,
        },
        instruction::SetCustomOraclePrice { params },
    )
}

impl Env {
    pub fn initialize_ix(&self) -> Instruction {
        ix(
            accounts::Initialize {
                admin: self.admin.pubkey(),
                perpetuals: self.perpetuals,
                transfer_authority: self.transfer_authority,
                system_program: system_program::ID,
            },
            instruction::Initialize {},
        )
    }

    pub fn add_pool_ix(&self, admin: Pubkey, name: &str) -> Instruction {
        self.add_pool_ix_with_cooldown(admin, name, 0)
    }

    pub fn add_pool_ix_with_cooldown(
        &self,
        admin: Pubkey,
        name: &str,
        lp_cooldown_sec: u32,
    ) -> Instruction {
        let pool = pda(&[POOL_SEED, name.as_bytes()]);
        ix(
            accounts::AddPool {
                admin,
                perpetuals: self.perpetuals,
                transfer_authority: self.transfer_authority,
                pool,
                lp_token_mint: pda(&[LP_TOKEN_MINT_SEED, pool.as_ref()]),
                system_program: system_program::ID,
                token_program: spl_token::ID,
            },
            instruction::AddPool {
                params: AddPoolParams {
                    name: name.to_string(),
                    lp_cooldown_sec,
                },
            },
        )
    }

    /// A custom oracle published by `oracle_authority`: 1 % max confidence, 30 s max age.
    pub fn custom_oracle(&self) -> OracleParams {
        OracleParams {
            oracle_account: Pubkey::default(),
            oracle_type: OracleType::Custom,
            oracle_authority: self.oracle_authority.pubkey(),
            max_price_error_bps: 100,
            max_price_age_sec: 30,
            feed_id: [0; 32],
        }
    }

    /// `add_custody` for `mint` in pool "main" with `params`.
    pub fn add_custody_ix_with(&self, mint: Pubkey, params: AddCustodyParams) -> Instruction {
        ix(
            accounts::AddCustody {
                admin: self.admin.pubkey(),
                perpetuals: self.perpetuals,
                transfer_authority: self.transfer_authority,
                pool: self.pool,
                custody: pda(&[CUSTODY_SEED, self.pool.as_ref(), mint.as_ref()]),
                custody_token_account: pda(&[
                    CUSTODY_TOKEN_ACCOUNT_SEED,
                    self.pool.as_ref(),
                    mint.as_ref(),
                ]),
                custody_token_mint: mint,
                system_program: system_program::ID,
                token_program: spl_token::ID,
            },
            instruction::AddCustody { params },
        )
    }

    /// A stable custody with the custom oracle, `fees`, default pricing and borrow rate.
    pub fn add_custody_ix(&self, mint: Pubkey, fees: Fees) -> Instruction {
        self.add_custody_full_ix(mint, true, fees, PricingParams::default())
    }

    pub fn add_custody_full_ix(
        &self,
        mint: Pubkey,
        is_stable: bool,
        fees: Fees,
        pricing: PricingParams,
    ) -> Instruction {
        self.add_custody_ix_with(
            mint,
            AddCustodyParams {
                is_stable,
                oracle: self.custom_oracle(),
                fees,
                pricing,
                borrow_rate: BorrowRateParams::default(),
            },
        )
    }

    /// Adds a custody for a new mint with `decimals`; returns (mint, custody).
    pub fn add_custody(&mut self, decimals: u8) -> (Pubkey, Pubkey) {
        let mint = self.create_mint(decimals);
        let ix = self.add_custody_ix(mint, Fees::default());
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).unwrap();
        (
            mint,
            pda(&[CUSTODY_SEED, self.pool.as_ref(), mint.as_ref()]),
        )
    }

    /// `set_custody_config` of `custody`, signed by `admin`.
    pub fn set_custody_config_ix(
        &self,
        admin: Pubkey,
        custody: Pubkey,
        params: SetCustodyConfigParams,
    ) -> Instruction {
        ix(
            accounts::SetCustodyConfig {
                admin,
                perpetuals: self.perpetuals,
                pool: self.pool,
                custody,
            },
            instruction::SetCustodyConfig { params },
        )
    }

    /// The USDC custody's price (expo -8) with confidence `conf`, signed by `signer`.
    pub fn set_price_ix(
        &self,
        signer: Pubkey,
        price: u64,
        conf: u64,
        ema: u64,
        publish_time: i64,
    ) -> Instruction {
        set_price_ix_for(
            self.custody,
            signer,
            SetCustomOraclePriceParams {
                price,
                expo: -8,
                conf,
                ema,
                publish_time,
            },
        )
    }

    /// Sets the custom oracle of `custody` to `price` (expo -8), published now.
    pub fn set_price_of(&mut self, custody: Pubkey, price: u64) {
        self.set_price_of_expo(custody, price, -8);
    }

    /// Sets the custom oracle of `custody` to `price * 10^expo` USD, published now.
    pub fn set_price_of_expo(&mut self, custody: Pubkey, price: u64, expo: i32) {
        let authority = self.oracle_authority.insecure_clone();
        let params = SetCustomOraclePriceParams {
            price,
            expo,
            conf: 0,
            ema: 0,
            publish_time: self.now(),
        };
        let ix = set_price_ix_for(custody, authority.pubkey(), params);
        self.send(&[ix], &[&authority]).unwrap();
    }

    /// Publishes the USDC price (expo -8) now.
    pub fn set_price(&mut self, price: u64, ema: u64) {
        // Confidences from 500_000 up (0.5 % of 1 USD, within the 1 % limit), apart from the
        // ones `Trading::set_sol_price` uses.
        self.price_sets += 1;
        let conf = 500_000 + self.price_sets;
        let now = self.now();
        let ix = self.set_price_ix(self.oracle_authority.pubkey(), price, conf, ema, now);
        let authority = self.oracle_authority.insecure_clone();
        self.send(&[ix], &[&authority]).unwrap();
    }

    pub fn set_permissions_ix(&self, admin: Pubkey, params: SetPermissionsParams) -> Instruction {
        ix(
            accounts::SetPermissions {
                admin,
                perpetuals: self.perpetuals,
            },
            instruction::SetPermissions { params },
        )
    }

    /// The user's deposit into the USDC custody.
    pub fn add_liquidity_accounts(&self) -> accounts::AddLiquidity {
        accounts::AddLiquidity {
            owner: self.user.pubkey(),
            funding_account: self.user_token,
            lp_token_account: self.user_lp,
            lp_cooldown: self.lp_cooldown(self.user_lp),
            transfer_authority: self.transfer_authority,
            perpetuals: self.perpetuals,
            pool: self.pool,
            custody: self.custody,
            custody_oracle_account: self.oracle,
            custody_token_account: self.vault,
            lp_token_mint: self.lp_mint,
            token_program: spl_token::ID,
            system_program: system_program::ID,
        }
    }

    pub fn add_liquidity_ix(
        &self,
        accounts: accounts::AddLiquidity,
        amount_in: u64,
        min_lp_amount_out: u64,
    ) -> Instruction {
        ix(
            accounts,
            instruction::AddLiquidity {
                params: AddLiquidityParams {
                    amount_in,
                    min_lp_amount_out,
                },
            },
        )
    }

    /// The user's withdrawal from the USDC custody.
    pub fn remove_liquidity_accounts(&self) -> accounts::RemoveLiquidity {
        accounts::RemoveLiquidity {
            owner: self.user.pubkey(),
            receiving_account: self.user_token,
            lp_token_account: self.user_lp,
            lp_cooldown: self.lp_cooldown(self.user_lp),
            transfer_authority: self.transfer_authority,
            perpetuals: self.perpetuals,
            pool: self.pool,
            custody: self.custody,
            custody_oracle_account: self.oracle,
            custody_token_account: self.vault,
            lp_token_mint: self.lp_mint,
            token_program: spl_token::ID,
        }
    }

    pub fn remove_liquidity_ix_with(
        &self,
        accounts: accounts::RemoveLiquidity,
        lp_amount_in: u64,
        min_amount_out: u64,
    ) -> Instruction {
        ix(
            accounts,
            instruction::RemoveLiquidity {
                params: RemoveLiquidityParams {
                    lp_amount_in,
                    min_amount_out,
                },
            },
        )
    }

    pub fn remove_liquidity_ix(&self, lp_amount_in: u64, min_amount_out: u64) -> Instruction {
        self.remove_liquidity_ix_with(
            self.remove_liquidity_accounts(),
            lp_amount_in,
            min_amount_out,
        )
    }

    pub fn unlock_lp_ix(&self, lp_token_account: Pubkey) -> Instruction {
        ix(
            accounts::UnlockLp {
                lp_token_account,
                lp_cooldown: self.lp_cooldown(lp_token_account),
                transfer_authority: self.transfer_authority,
                perpetuals: self.perpetuals,
                pool: self.pool,
                lp_token_mint: self.lp_mint,
                token_program: spl_token::ID,
            },
            instruction::UnlockLp {},
        )
    }

    /// An SPL transfer of the user's LP to `to`.
    pub fn transfer_lp_ix(&self, to: Pubkey, amount: u64) -> Instruction {
        spl_token::instruction::transfer(
            &spl_token::ID,
            &self.user_lp,
            &to,
            &self.user.pubkey(),
            &[],
            amount,
        )
        .unwrap()
    }

    /// `get_lp_token_price` with the USDC custody and oracle as remaining accounts.
    pub fn lp_price_ix(&self) -> Instruction {
        let view = ix(
            accounts::GetLpTokenPrice {
                perpetuals: self.perpetuals,
                pool: self.pool,
                lp_token_mint: self.lp_mint,
            },
            instruction::GetLpTokenPrice {},
        );
        with_remaining(view, &[self.custody, self.oracle])
    }

    /// `get_assets_under_management` with `remaining` (custody, oracle pairs).
    pub fn aum_ix(&self, remaining: &[Pubkey]) -> Instruction {
        let view = ix(
            accounts::GetAssetsUnderManagement {
                perpetuals: self.perpetuals,
                pool: self.pool,
            },
            instruction::GetAssetsUnderManagement {},
        );
        with_remaining(view, remaining)
    }
}
