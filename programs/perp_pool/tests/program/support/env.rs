//! `Env`: a node with perp_pool initialised, pool "main" with one USDC-like custody and a
//! funded user, plus the transaction, account, token and clock helpers every scenario uses.

use super::pda;
use anchor_spl::token::spl_token;
use perp_localnet::harness::{Executed, Failed, TestNode};
use perp_pool::{constants::*, errors::PerpPoolError, state::custody::Fees};
use solana_sdk::{
    instruction::Instruction,
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_instruction,
};

pub struct Env {
    pub node: TestNode,
    pub admin: Keypair,
    pub oracle_authority: Keypair,
    pub user: Keypair,
    pub perpetuals: Pubkey,
    pub transfer_authority: Pubkey,
    pub pool: Pubkey,
    pub lp_mint: Pubkey,
    pub mint: Pubkey,
    pub custody: Pubkey,
    pub vault: Pubkey,
    pub oracle: Pubkey,
    pub user_token: Pubkey,
    pub user_lp: Pubkey,
    /// Count of `set_price` calls: each carries a different confidence so that two publications
    /// at one timestamp are different transactions (the bank deduplicates identical ones).
    pub price_sets: u64,
}

/// A pool "main" with one USDC-like custody (6 decimals, custom oracle, 10 bps add, 20 bps
/// remove, 50 % protocol share), no LP cooldown, the oracle set to 1 USD and a user holding
/// 10_000 tokens.
pub fn setup() -> Env {
    setup_with_cooldown(0)
}

/// `setup()` with a pool LP cooldown of `lp_cooldown_sec`.
pub fn setup_with_cooldown(lp_cooldown_sec: u32) -> Env {
    let pool = pda(&[POOL_SEED, b"main"]);
    let mut env = Env {
        node: TestNode::new(),
        admin: Keypair::new(),
        oracle_authority: Keypair::new(),
        user: Keypair::new(),
        perpetuals: pda(&[PERPETUALS_SEED]),
        transfer_authority: pda(&[TRANSFER_AUTHORITY_SEED]),
        pool,
        lp_mint: pda(&[LP_TOKEN_MINT_SEED, pool.as_ref()]),
        mint: Pubkey::default(),
        custody: Pubkey::default(),
        vault: Pubkey::default(),
        oracle: Pubkey::default(),
        user_token: Pubkey::default(),
        user_lp: Pubkey::default(),
        price_sets: 0,
    };
    // Fund the signers that pay rent (the depositor pays for its LP cooldown record).
    let payer = env.payer();
    let fund = [
        system_instruction::transfer(&payer, &env.admin.pubkey(), 10_000_000_000),
        system_instruction::transfer(&payer, &env.oracle_authority.pubkey(), 10_000_000_000),
        system_instruction::transfer(&payer, &env.user.pubkey(), 1_000_000_000),
    ];
    env.send(&fund, &[]).unwrap();

    let admin = env.admin.insecure_clone();
    let init = env.initialize_ix();
    env.send(&[init], &[&admin]).unwrap();
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "main", lp_cooldown_sec);
    env.send(&[ix], &[&admin]).unwrap();

    env.mint = env.create_mint(6);
    env.custody = pda(&[CUSTODY_SEED, pool.as_ref(), env.mint.as_ref()]);
    env.vault = pda(&[CUSTODY_TOKEN_ACCOUNT_SEED, pool.as_ref(), env.mint.as_ref()]);
    env.oracle = pda(&[ORACLE_SEED, env.custody.as_ref()]);
    let add_custody = env.add_custody_ix(
        env.mint,
        Fees {
            add_liquidity_bps: 10,
            remove_liquidity_bps: 20,
            protocol_share_bps: 5_000,
            ..Fees::default()
        },
    );
    env.send(&[add_custody], &[&admin]).unwrap();
    env.set_price(100_000_000, 0);

    let user_key = env.user.pubkey();
    env.user_token = env.create_token_account(env.mint, user_key);
    env.user_lp = env.create_token_account(env.lp_mint, user_key);
    env.mint_to(env.mint, env.user_token, 10_000_000_000);
    env
}

impl Env {
    /// The fee payer of every transaction (also the authority of the mints tests create).
    pub fn payer(&self) -> Pubkey {
        self.node.payer().pubkey()
    }

    /// Sends `ixs` signed by the payer and `signers`.
    pub fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Executed, Failed> {
        self.node.process(ixs, signers)
    }

    /// Sends `ixs`, which must succeed; returns the transaction's logs.
    pub fn send_with_logs(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Vec<String> {
        match self.send(ixs, signers) {
            Ok(executed) => executed.logs,
            Err(failed) => panic!("transaction failed: {failed:#?}"),
        }
    }

    /// Sends `ixs`, which must fail with the program's error `expected`.
    pub fn expect_error(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        expected: PerpPoolError,
    ) {
        let code = u32::from(expected);
        let failed = self
            .send(ixs, signers)
            .expect_err("transaction should fail");
        assert_eq!(
            failed.custom_code(),
            Some(code),
            "expected error {code}: {failed:#?}"
        );
    }

    /// Simulates a view instruction and decodes its return data.
    pub fn view<T: anchor_lang::AnchorDeserialize>(
        &mut self,
        ix: Instruction,
    ) -> Result<T, Failed> {
        let executed = self.node.simulate(&[ix], &[])?;
        assert!(!executed.return_data.is_empty(), "view returned no data");
        Ok(T::try_from_slice(&executed.return_data).expect("view return data"))
    }

    pub fn now(&self) -> i64 {
        self.node.clock().unix_timestamp
    }

    /// Closes the current slot: the next transactions run in a later slot (and blockhash).
    pub fn next_slot(&mut self) {
        self.node.advance_slots(1);
    }

    /// Moves the bank's clock `seconds` forward (same slot).
    pub fn advance_clock(&mut self, seconds: i64) {
        self.node.warp_clock(seconds);
    }

    pub fn exists(&self, key: Pubkey) -> bool {
        self.node.account(&key).is_some()
    }

    /// The Anchor account at `key`, which must exist.
    pub fn account<T: anchor_lang::AccountDeserialize>(&self, key: Pubkey) -> T {
        let account = self.node.account(&key).expect("account exists");
        T::try_deserialize(&mut account.data.as_slice()).expect("account decodes")
    }

    fn token_account(&self, key: Pubkey) -> spl_token::state::Account {
        let account = self.node.account(&key).expect("token account");
        spl_token::state::Account::unpack(&account.data).expect("token account decodes")
    }

    pub fn mint_state(&self, key: Pubkey) -> spl_token::state::Mint {
        let account = self.node.account(&key).expect("mint");
        spl_token::state::Mint::unpack(&account.data).expect("mint decodes")
    }

    pub fn is_frozen(&self, key: Pubkey) -> bool {
        self.token_account(key).is_frozen()
    }

    pub fn token_balance(&self, key: Pubkey) -> u64 {
        self.token_account(key).amount
    }

    /// Sends `lamports` from the payer to `to`.
    pub fn fund(&mut self, to: Pubkey, lamports: u64) {
        let payer = self.payer();
        let ix = system_instruction::transfer(&payer, &to, lamports);
        self.send(&[ix], &[]).unwrap();
    }

    /// A new mint with `decimals`, the payer its mint authority.
    pub fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.node.rent();
        let payer = self.payer();
        let ixs = [
            system_instruction::create_account(
                &payer,
                &mint.pubkey(),
                rent.minimum_balance(spl_token::state::Mint::LEN),
                spl_token::state::Mint::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint(
                &spl_token::ID,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&mint]).unwrap();
        mint.pubkey()
    }

    pub fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey) -> Pubkey {
        let account = Keypair::new();
        let rent = self.node.rent();
        let payer = self.payer();
        let ixs = [
            system_instruction::create_account(
                &payer,
                &account.pubkey(),
                rent.minimum_balance(spl_token::state::Account::LEN),
                spl_token::state::Account::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account(
                &spl_token::ID,
                &account.pubkey(),
                &mint,
                &owner,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&account]).unwrap();
        account.pubkey()
    }

    pub fn mint_to(&mut self, mint: Pubkey, to: Pubkey, amount: u64) {
        let payer = self.payer();
        let ix = spl_token::instruction::mint_to(&spl_token::ID, &mint, &to, &payer, &[], amount)
            .unwrap();
        self.send(&[ix], &[]).unwrap();
    }

    /// The LP cooldown record of an LP token account.
    pub fn lp_cooldown(&self, lp_token_account: Pubkey) -> Pubkey {
        pda(&[LP_COOLDOWN_SEED, lp_token_account.as_ref()])
    }
}
