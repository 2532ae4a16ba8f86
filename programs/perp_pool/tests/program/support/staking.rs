//! `Staking`: `setup_trading()` with the USDC custody routing a share of trading fees to LP
//! stakers and the pool's stake pool (the example ladder), and the staking instruction builders.

use super::{ix, pda, setup_trading, Trading, USD};
use anchor_spl::token::spl_token;
use perp_pool::{
    accounts,
    constants::*,
    instruction,
    instructions::*,
    state::{custody::Custody, stake::Stake, stake_pool::StakePool},
    types::LockTier,
};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_program,
};

/// 7 days 1x, 30 days 1.1x, 90 days 1.5x, 180 days 2x, 364 days 3x.
pub fn example_ladder() -> Vec<LockTier> {
    [
        (7, 10_000),
        (30, 11_000),
        (90, 15_000),
        (180, 20_000),
        (364, 30_000),
    ]
    .into_iter()
    .map(|(duration_days, multiplier_bps)| LockTier {
        duration_days,
        multiplier_bps,
    })
    .collect()
}

pub struct Staking {
    pub t: Trading,
    pub stake_pool: Pubkey,
    pub stake_vault: Pubkey,
}

/// The LP the user deposited (5_000 USDC less the dead shares), thawed; 30 % of every trading
/// fee routed to stakers; the stake pool created.
pub fn setup_staking() -> Staking {
    let mut t = setup_trading();
    let admin = t.env.admin.insecure_clone();
    let custody: Custody = t.env.account(t.env.custody);
    let params = SetCustodyConfigParams {
        oracle: custody.oracle,
        fees: perp_pool::types::Fees {
            staker_share_bps: 3_000,
            ..custody.fees
        },
        pricing: custody.pricing,
        borrow_rate: custody.borrow_rate,
    };
    let ix = t
        .env
        .set_custody_config_ix(admin.pubkey(), t.env.custody, params);
    t.env.send(&[ix], &[&admin]).unwrap();
    t.env.next_slot();
    let ix = t.env.unlock_lp_ix(t.env.user_lp);
    t.env.send(&[ix], &[]).unwrap();
    let stake_pool = pda(&[STAKE_POOL_SEED, t.env.pool.as_ref()]);
    let stake_vault = pda(&[
        STAKE_VAULT_SEED,
        stake_pool.as_ref(),
        t.env.lp_mint.as_ref(),
    ]);
    let s = Staking {
        t,
        stake_pool,
        stake_vault,
    };
    let ix = s.init_ix(example_ladder(), 6_000);
    let mut s = s;
    s.t.env.send(&[ix], &[&admin]).unwrap();
    s
}

impl Staking {
    pub fn init_accounts(&self) -> accounts::InitStakePool {
        let env = &self.t.env;
        accounts::InitStakePool {
            admin: env.admin.pubkey(),
            perpetuals: env.perpetuals,
            transfer_authority: env.transfer_authority,
            pool: env.pool,
            reward_custody: env.custody,
            stake_pool: self.stake_pool,
            lp_token_mint: env.lp_mint,
            stake_vault: self.stake_vault,
            system_program: system_program::ID,
            token_program: spl_token::ID,
        }
    }

    pub fn init_ix(&self, ladder: Vec<LockTier>, junior_share_bps: u64) -> Instruction {
        ix(
            self.init_accounts(),
            instruction::InitStakePool {
                params: InitStakePoolParams {
                    ladder,
                    junior_share_bps,
                },
            },
        )
    }

    pub fn add_stake_vault_ix(&self, lp_token_mint: Pubkey, stake_vault: Pubkey) -> Instruction {
        let env = &self.t.env;
        ix(
            accounts::AddStakeVault {
                admin: env.admin.pubkey(),
                perpetuals: env.perpetuals,
                transfer_authority: env.transfer_authority,
                pool: env.pool,
                reward_custody: env.custody,
                stake_pool: self.stake_pool,
                lp_token_mint,
                stake_vault,
                system_program: system_program::ID,
                token_program: spl_token::ID,
            },
            instruction::AddStakeVault {},
        )
    }

    pub fn set_config_ix(
        &self,
        admin: Pubkey,
        ladder: Vec<LockTier>,
        junior_share_bps: u64,
    ) -> Instruction {
        let env = &self.t.env;
        ix(
            accounts::SetStakePoolConfig {
                admin,
                perpetuals: env.perpetuals,
                pool: env.pool,
                reward_custody: env.custody,
                stake_pool: self.stake_pool,
            },
            instruction::SetStakePoolConfig {
                params: SetStakePoolConfigParams {
                    ladder,
                    junior_share_bps,
                },
            },
        )
    }

    pub fn stake_key(&self, owner: Pubkey) -> Pubkey {
        pda(&[
            STAKE_SEED,
            self.stake_pool.as_ref(),
            self.t.env.lp_mint.as_ref(),
            owner.as_ref(),
        ])
    }

    /// `owner` locks from `lp_token_account`.
    pub fn lock_accounts(&self, owner: Pubkey, lp_token_account: Pubkey) -> accounts::LockLp {
        let env = &self.t.env;
        accounts::LockLp {
            owner,
            lp_token_account,
            perpetuals: env.perpetuals,
            pool: env.pool,
            reward_custody: env.custody,
            stake_pool: self.stake_pool,
            lp_token_mint: env.lp_mint,
            stake_vault: self.stake_vault,
            stake: self.stake_key(owner),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        }
    }

    pub fn lock_ix_with(&self, accounts: accounts::LockLp, amount: u64, tier: u8) -> Instruction {
        ix(
            accounts,
            instruction::LockLp {
                params: LockLpParams { amount, tier },
            },
        )
    }

    /// The user locks `amount` of its LP at `tier`.
    pub fn lock_ix(&self, amount: u64, tier: u8) -> Instruction {
        let env = &self.t.env;
        self.lock_ix_with(
            self.lock_accounts(env.user.pubkey(), env.user_lp),
            amount,
            tier,
        )
    }

    pub fn unlock_accounts(
        &self,
        owner: Pubkey,
        lp_token_account: Pubkey,
    ) -> accounts::UnlockLpStake {
        let env = &self.t.env;
        accounts::UnlockLpStake {
            owner,
            lp_token_account,
            transfer_authority: env.transfer_authority,
            perpetuals: env.perpetuals,
            pool: env.pool,
            reward_custody: env.custody,
            stake_pool: self.stake_pool,
            lp_token_mint: env.lp_mint,
            stake_vault: self.stake_vault,
            stake: self.stake_key(owner),
            token_program: spl_token::ID,
        }
    }

    pub fn unlock_ix_with(&self, accounts: accounts::UnlockLpStake, amount: u64) -> Instruction {
        ix(
            accounts,
            instruction::UnlockLpStake {
                params: UnlockLpStakeParams { amount },
            },
        )
    }

    pub fn unlock_ix(&self, amount: u64) -> Instruction {
        let env = &self.t.env;
        self.unlock_ix_with(self.unlock_accounts(env.user.pubkey(), env.user_lp), amount)
    }

    pub fn claim_accounts(
        &self,
        owner: Pubkey,
        receiving_account: Pubkey,
    ) -> accounts::ClaimStakeRewards {
        let env = &self.t.env;
        accounts::ClaimStakeRewards {
            owner,
            receiving_account,
            transfer_authority: env.transfer_authority,
            perpetuals: env.perpetuals,
            pool: env.pool,
            reward_custody: env.custody,
            reward_custody_token_account: env.vault,
            stake_pool: self.stake_pool,
            stake: self.stake_key(owner),
            token_program: spl_token::ID,
        }
    }

    pub fn claim_ix_with(&self, accounts: accounts::ClaimStakeRewards) -> Instruction {
        ix(accounts, instruction::ClaimStakeRewards {})
    }

    pub fn claim_ix(&self) -> Instruction {
        let env = &self.t.env;
        self.claim_ix_with(self.claim_accounts(env.user.pubkey(), env.user_token))
    }

    pub fn update_ix(&self) -> Instruction {
        let env = &self.t.env;
        ix(
            accounts::UpdateStakePool {
                pool: env.pool,
                reward_custody: env.custody,
                stake_pool: self.stake_pool,
            },
            instruction::UpdateStakePool {},
        )
    }

    pub fn state(&mut self) -> StakeTrancheState {
        let env = &self.t.env;
        let ix = ix(
            accounts::GetStakePoolState {
                pool: env.pool,
                reward_custody: env.custody,
                stake_pool: self.stake_pool,
                lp_token_mint: env.lp_mint,
            },
            instruction::GetStakePoolState {},
        );
        self.t.env.view(ix).unwrap()
    }

    pub fn stake_state(&mut self, owner: Pubkey) -> StakeState {
        let env = &self.t.env;
        let ix = ix(
            accounts::GetStakeState {
                pool: env.pool,
                reward_custody: env.custody,
                stake_pool: self.stake_pool,
                stake: self.stake_key(owner),
            },
            instruction::GetStakeState {},
        );
        self.t.env.view(ix).unwrap()
    }

    pub fn stake(&self, owner: Pubkey) -> Stake {
        self.t.env.account(self.stake_key(owner))
    }

    /// The stake pool account (zero-copy: the data after the discriminator, as the program
    /// lays it out).
    pub fn stake_pool(&self) -> StakePool {
        let account = self
            .t
            .env
            .node
            .account(&self.stake_pool)
            .expect("stake pool");
        *bytemuck_from(&account.data)
    }

    /// Opens and closes a 1_000 USD long: 2 USD of fees (1 USD open, 1 USD close) into the
    /// custody, 30 % of them to the stakers.
    pub fn trade_round(&mut self) {
        let user = self.t.env.user.insecure_clone();
        let open = self.t.open_ix(
            perp_pool::state::position::Side::Long,
            100 * USD,
            1_000 * USD,
            u64::MAX,
        );
        self.t.env.send(&[open], &[&user]).unwrap();
        let close = self.t.close_ix(perp_pool::state::position::Side::Long, 0);
        self.t.env.send(&[close], &[&user]).unwrap();
        self.t.env.next_slot();
    }

    pub fn user(&self) -> Keypair {
        self.t.env.user.insecure_clone()
    }
}

fn bytemuck_from(data: &[u8]) -> &StakePool {
    use anchor_lang::Discriminator;
    assert_eq!(&data[..8], &StakePool::DISCRIMINATOR);
    anchor_lang::__private::bytemuck::from_bytes(&data[8..8 + std::mem::size_of::<StakePool>()])
}
