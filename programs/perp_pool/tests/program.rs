//! End-to-end tests of the handlers in a real Bank (solana-program-test, the program run
//! natively the way the local node runs it): account validation, CPIs, state, events' inputs
//! and named errors. One scenario per test.

use {
    anchor_lang::solana_program::program_stubs,
    anchor_lang::{InstructionData, ToAccountMetas},
    anchor_spl::token::spl_token,
    perp_pool::{
        constants::*,
        errors::PerpPoolError,
        events::{
            CappedPositionClosed, LiquidityAdded, LpUnlocked, PositionDecreased, PositionIncreased,
            PositionLiquidated, PositionOpened,
        },
        instructions::*,
        math::pnl::ProfitAndLoss,
        state::{
            custody::{BorrowRateParams, Custody, Fees, PricingParams},
            lp_cooldown::LpCooldown,
            oracle::{
                OracleParams, OracleType, PRICE_UPDATE_V2_DISCRIMINATOR, PYTH_RECEIVER_PROGRAM_ID,
            },
            pool::Pool,
            position::{Position, Side},
        },
    },
    solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext},
    solana_sdk::{
        account_info::AccountInfo,
        clock::Clock,
        entrypoint::ProgramResult,
        instruction::{AccountMeta, Instruction, InstructionError},
        program_pack::Pack,
        pubkey::Pubkey,
        signature::{Keypair, Signer},
        system_instruction,
        transaction::{Transaction, TransactionError},
    },
};

/// Anchor 0.29's `entry` ties the slice and AccountInfo lifetimes together; leaking the Vec
/// (a test-only, per-instruction allocation) satisfies that.
fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    let accounts = Box::leak(Box::new(accounts.to_vec()));
    perp_pool::entry(program_id, accounts, data)
}

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &perp_pool::ID).0
}

struct Env {
    ctx: ProgramTestContext,
    admin: Keypair,
    oracle_authority: Keypair,
    user: Keypair,
    perpetuals: Pubkey,
    transfer_authority: Pubkey,
    pool: Pubkey,
    lp_mint: Pubkey,
    mint: Pubkey,
    custody: Pubkey,
    vault: Pubkey,
    oracle: Pubkey,
    user_token: Pubkey,
    user_lp: Pubkey,
    /// Count of `set_price` calls: each carries a different confidence so that two publications
    /// at one timestamp are different transactions (the bank deduplicates identical ones).
    price_sets: u64,
}

fn custom_error(err: BanksClientError) -> Option<u32> {
    match err {
        BanksClientError::TransactionError(TransactionError::InstructionError(
            _,
            InstructionError::Custom(code),
        ))
        | BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(code)),
            ..
        } => Some(code),
        _ => None,
    }
}

/// solana-program-test's native syscall stubs print `sol_log_data` (Anchor's `emit!`) to stdout
/// instead of the transaction log. This wrapper delegates every syscall to them and routes
/// `sol_log_data` through `sol_log`, so the event shows up as "Program log: Program data: <b64>".
/// (A node running the program natively must do the equivalent and log "Program data: <b64>".)
struct EventLoggingStubs(Box<dyn program_stubs::SyscallStubs>);

impl program_stubs::SyscallStubs for EventLoggingStubs {
    fn sol_log(&self, message: &str) {
        self.0.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.0.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.0.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.0
            .sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_last_restart_slot(var_addr)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.0.sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.0.sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        self.0.sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        self.0.sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.0.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.0.sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        use base64::Engine;
        let encoded: Vec<String> = fields
            .iter()
            .map(|f| base64::engine::general_purpose::STANDARD.encode(f))
            .collect();
        self.0
            .sol_log(&format!("Program data: {}", encoded.join(" ")))
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.0.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.0.sol_get_stack_height()
    }
}

/// program-test logs every instruction at debug level unless RUST_LOG says otherwise; keep test
/// output readable (set RUST_LOG to see the bank's logs).
fn quiet_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var(
                "RUST_LOG",
                "error,solana_program_runtime::loaded_programs=off",
            );
        }
    });
}

/// Installs `EventLoggingStubs` once, after program-test has installed its own stubs.
fn install_event_logging_stubs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Take program-test's stubs out, then put them back wrapped.
        let inner =
            program_stubs::set_syscall_stubs(Box::new(EventLoggingStubs(Box::new(NoStubs))));
        program_stubs::set_syscall_stubs(Box::new(EventLoggingStubs(inner)));
    });
}

/// Placeholder held only between the two `set_syscall_stubs` calls above.
struct NoStubs;
impl program_stubs::SyscallStubs for NoStubs {}

/// The first `Program data:` log that decodes as event `T` (Anchor: 8-byte discriminator + borsh).
fn decode_event<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(
    logs: &[String],
) -> Option<T> {
    use base64::Engine;
    logs.iter()
        .filter_map(|line| {
            line.strip_prefix("Program log: Program data: ")
                .or_else(|| line.strip_prefix("Program data: "))
        })
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .find(|bytes| bytes.starts_with(&T::discriminator()))
        .and_then(|bytes| T::try_from_slice(&bytes[8..]).ok())
}

impl Env {
    async fn send_with_logs(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Vec<String> {
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut all: Vec<&Keypair> = vec![&self.ctx.payer];
        all.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&self.ctx.payer.pubkey()),
            &all,
            blockhash,
        );
        let result = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .unwrap();
        result.result.unwrap();
        result.metadata.expect("metadata").log_messages
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), BanksClientError> {
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await?;
        let mut all: Vec<&Keypair> = vec![&self.ctx.payer];
        all.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&self.ctx.payer.pubkey()),
            &all,
            blockhash,
        );
        self.ctx.banks_client.process_transaction(tx).await
    }

    async fn expect_error(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        expected: PerpPoolError,
    ) {
        let code = u32::from(expected);
        let err = self
            .send(ixs, signers)
            .await
            .expect_err("transaction should fail");
        assert_eq!(custom_error(err), Some(code), "expected error {code}");
    }

    async fn now(&mut self) -> i64 {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .unwrap()
            .unix_timestamp
    }

    async fn slot(&mut self) -> u64 {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .unwrap()
            .slot
    }

    async fn next_slot(&mut self) {
        let slot = self.slot().await;
        self.ctx.warp_to_slot(slot + 2).unwrap();
    }

    /// Moves the bank's clock `seconds` forward (same slot).
    async fn advance_clock(&mut self, seconds: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.unwrap();
        clock.unix_timestamp += seconds;
        self.ctx.set_sysvar(&clock);
    }

    async fn is_frozen(&mut self, key: Pubkey) -> bool {
        let account = self
            .ctx
            .banks_client
            .get_account(key)
            .await
            .unwrap()
            .expect("token account");
        spl_token::state::Account::unpack(&account.data)
            .unwrap()
            .is_frozen()
    }

    async fn account<T: anchor_lang::AccountDeserialize>(&mut self, key: Pubkey) -> T {
        let account = self
            .ctx
            .banks_client
            .get_account(key)
            .await
            .unwrap()
            .expect("account exists");
        T::try_deserialize(&mut account.data.as_slice()).unwrap()
    }

    async fn token_balance(&mut self, key: Pubkey) -> u64 {
        let account = self
            .ctx
            .banks_client
            .get_account(key)
            .await
            .unwrap()
            .expect("token account");
        spl_token::state::Account::unpack(&account.data)
            .unwrap()
            .amount
    }

    async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let payer = self.ctx.payer.pubkey();
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
        self.send(&ixs, &[&mint]).await.unwrap();
        mint.pubkey()
    }

    async fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey) -> Pubkey {
        let account = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let payer = self.ctx.payer.pubkey();
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
        self.send(&ixs, &[&account]).await.unwrap();
        account.pubkey()
    }

    async fn mint_to(&mut self, mint: Pubkey, to: Pubkey, amount: u64) {
        let payer = self.ctx.payer.pubkey();
        let ix = spl_token::instruction::mint_to(&spl_token::ID, &mint, &to, &payer, &[], amount)
            .unwrap();
        self.send(&[ix], &[]).await.unwrap();
    }

    fn set_price_ix(
        &self,
        signer: Pubkey,
        price: u64,
        conf: u64,
        ema: u64,
        publish_time: i64,
    ) -> Instruction {
        set_price_ix_for(
            self.custody,
            self.oracle,
            signer,
            price,
            conf,
            ema,
            publish_time,
        )
    }

    /// Sets the custom oracle of `custody` to `price` (expo -8), published now.
    async fn set_price_of(&mut self, custody: Pubkey, price: u64) {
        self.set_price_of_expo(custody, price, -8).await;
    }

    /// Sets the custom oracle of `custody` to `price * 10^expo` USD, published now.
    async fn set_price_of_expo(&mut self, custody: Pubkey, price: u64, expo: i32) {
        let now = self.now().await;
        let oracle = pda(&[ORACLE_SEED, custody.as_ref()]);
        let authority = self.oracle_authority.insecure_clone();
        let mut ix = set_price_ix_for(custody, oracle, authority.pubkey(), price, 0, 0, now);
        ix.data = perp_pool::instruction::SetCustomOraclePrice {
            params: SetCustomOraclePriceParams {
                price,
                expo,
                conf: 0,
                ema: 0,
                publish_time: now,
            },
        }
        .data();
        self.send(&[ix], &[&authority]).await.unwrap();
    }

    fn add_custody_ix(&self, mint: Pubkey, fees: Fees) -> Instruction {
        let custody = pda(&[CUSTODY_SEED, self.pool.as_ref(), mint.as_ref()]);
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::AddCustody {
                admin: self.admin.pubkey(),
                perpetuals: self.perpetuals,
                transfer_authority: self.transfer_authority,
                pool: self.pool,
                custody,
                custody_token_account: pda(&[
                    CUSTODY_TOKEN_ACCOUNT_SEED,
                    self.pool.as_ref(),
                    mint.as_ref(),
                ]),
                custody_token_mint: mint,
                system_program: solana_sdk::system_program::ID,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: perp_pool::instruction::AddCustody {
                params: AddCustodyParams {
                    is_stable: true,
                    oracle: OracleParams {
                        oracle_account: Pubkey::default(),
                        oracle_type: OracleType::Custom,
                        oracle_authority: self.oracle_authority.pubkey(),
                        max_price_error_bps: 100,
                        max_price_age_sec: 30,
                        feed_id: [0; 32],
                    },
                    fees,
                    pricing: PricingParams::default(),
                    borrow_rate: BorrowRateParams::default(),
                },
            }
            .data(),
        }
    }

    /// Adds a custody for a new mint with `decimals`; returns (mint, custody).
    async fn add_custody(&mut self, decimals: u8) -> (Pubkey, Pubkey) {
        let mint = self.create_mint(decimals).await;
        let ix = self.add_custody_ix(mint, Fees::default());
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.unwrap();
        (
            mint,
            pda(&[CUSTODY_SEED, self.pool.as_ref(), mint.as_ref()]),
        )
    }
}

fn set_price_ix_for(
    custody: Pubkey,
    oracle: Pubkey,
    signer: Pubkey,
    price: u64,
    conf: u64,
    ema: u64,
    publish_time: i64,
) -> Instruction {
    Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::SetCustomOraclePrice {
            oracle_authority: signer,
            custody,
            oracle_account: oracle,
            system_program: solana_sdk::system_program::ID,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::SetCustomOraclePrice {
            params: SetCustomOraclePriceParams {
                price,
                expo: -8,
                conf,
                ema,
                publish_time,
            },
        }
        .data(),
    }
}

impl Env {
    async fn set_price(&mut self, price: u64, ema: u64) {
        let now = self.now().await;
        // Confidences from 500_000 up (0.5 % of 1 USD, within the 1 % limit), apart from the
        // ones `Trading::set_sol_price` uses.
        self.price_sets += 1;
        let conf = 500_000 + self.price_sets;
        let ix = self.set_price_ix(self.oracle_authority.pubkey(), price, conf, ema, now);
        let authority = self.oracle_authority.insecure_clone();
        self.send(&[ix], &[&authority]).await.unwrap();
    }

    fn add_liquidity_accounts(&self) -> perp_pool::accounts::AddLiquidity {
        perp_pool::accounts::AddLiquidity {
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
            system_program: solana_sdk::system_program::ID,
        }
    }

    /// The LP cooldown record of an LP token account.
    fn lp_cooldown(&self, lp_token_account: Pubkey) -> Pubkey {
        pda(&[LP_COOLDOWN_SEED, lp_token_account.as_ref()])
    }

    fn add_liquidity_ix(
        &self,
        accounts: perp_pool::accounts::AddLiquidity,
        amount_in: u64,
        min_lp_amount_out: u64,
    ) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts: accounts.to_account_metas(None),
            data: perp_pool::instruction::AddLiquidity {
                params: AddLiquidityParams {
                    amount_in,
                    min_lp_amount_out,
                },
            }
            .data(),
        }
    }

    fn remove_liquidity_ix(&self, lp_amount_in: u64, min_amount_out: u64) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::RemoveLiquidity {
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
            .to_account_metas(None),
            data: perp_pool::instruction::RemoveLiquidity {
                params: RemoveLiquidityParams {
                    lp_amount_in,
                    min_amount_out,
                },
            }
            .data(),
        }
    }

    fn set_permissions_ix(&self, admin: Pubkey, allow_add_liquidity: bool) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::SetPermissions {
                admin,
                perpetuals: self.perpetuals,
            }
            .to_account_metas(None),
            data: perp_pool::instruction::SetPermissions {
                params: SetPermissionsParams {
                    allow_add_liquidity,
                    allow_remove_liquidity: true,
                    allow_open_position: true,
                    allow_close_position: true,
                    allow_liquidation: true,
                },
            }
            .data(),
        }
    }

    fn add_pool_ix(&self, admin: Pubkey, name: &str) -> Instruction {
        self.add_pool_ix_with_cooldown(admin, name, 0)
    }

    fn add_pool_ix_with_cooldown(
        &self,
        admin: Pubkey,
        name: &str,
        lp_cooldown_sec: u32,
    ) -> Instruction {
        let pool = pda(&[POOL_SEED, name.as_bytes()]);
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::AddPool {
                admin,
                perpetuals: self.perpetuals,
                transfer_authority: self.transfer_authority,
                pool,
                lp_token_mint: pda(&[LP_TOKEN_MINT_SEED, pool.as_ref()]),
                system_program: solana_sdk::system_program::ID,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: perp_pool::instruction::AddPool {
                params: AddPoolParams {
                    name: name.to_string(),
                    lp_cooldown_sec,
                },
            }
            .data(),
        }
    }

    async fn view<T: anchor_lang::AnchorDeserialize>(
        &mut self,
        ix: Instruction,
    ) -> Result<T, BanksClientError> {
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await?;
        let tx = Transaction::new_signed_with_payer(
            &[ix],
            Some(&self.ctx.payer.pubkey()),
            &[&self.ctx.payer],
            blockhash,
        );
        let sim = self.ctx.banks_client.simulate_transaction(tx).await?;
        if let Some(Err(err)) = sim.result {
            return Err(BanksClientError::SimulationError {
                err,
                logs: vec![],
                units_consumed: 0,
                return_data: None,
            });
        }
        let data = sim
            .simulation_details
            .and_then(|d| d.return_data)
            .expect("return data")
            .data;
        Ok(T::try_from_slice(&data).unwrap())
    }

    fn lp_price_ix(&self) -> Instruction {
        let mut accounts = perp_pool::accounts::GetLpTokenPrice {
            perpetuals: self.perpetuals,
            pool: self.pool,
            lp_token_mint: self.lp_mint,
        }
        .to_account_metas(None);
        accounts.push(AccountMeta::new_readonly(self.custody, false));
        accounts.push(AccountMeta::new_readonly(self.oracle, false));
        Instruction {
            program_id: perp_pool::ID,
            accounts,
            data: perp_pool::instruction::GetLpTokenPrice {}.data(),
        }
    }

    fn aum_ix(&self, remaining: &[Pubkey]) -> Instruction {
        let mut accounts = perp_pool::accounts::GetAssetsUnderManagement {
            perpetuals: self.perpetuals,
            pool: self.pool,
        }
        .to_account_metas(None);
        accounts.extend(
            remaining
                .iter()
                .map(|k| AccountMeta::new_readonly(*k, false)),
        );
        Instruction {
            program_id: perp_pool::ID,
            accounts,
            data: perp_pool::instruction::GetAssetsUnderManagement {}.data(),
        }
    }
}

/// A pool "main" with one USDC-like custody (6 decimals, custom oracle, 10 bps add, 20 bps
/// remove, 50 % protocol share), no LP cooldown, the oracle set to 1 USD and a user holding
/// 10_000 tokens.
async fn setup() -> Env {
    setup_with_cooldown(0).await
}

/// `setup()` with a pool LP cooldown of `lp_cooldown_sec`.
async fn setup_with_cooldown(lp_cooldown_sec: u32) -> Env {
    quiet_logs();
    let program = ProgramTest::new("perp_pool", perp_pool::ID, processor!(process_instruction));
    let ctx = program.start_with_context().await;
    install_event_logging_stubs();
    let admin = Keypair::new();
    let oracle_authority = Keypair::new();
    let user = Keypair::new();
    let perpetuals = pda(&[PERPETUALS_SEED]);
    let transfer_authority = pda(&[TRANSFER_AUTHORITY_SEED]);
    let pool = pda(&[POOL_SEED, b"main"]);
    let lp_mint = pda(&[LP_TOKEN_MINT_SEED, pool.as_ref()]);
    let mut env = Env {
        ctx,
        admin,
        oracle_authority,
        user,
        perpetuals,
        transfer_authority,
        pool,
        lp_mint,
        mint: Pubkey::default(),
        custody: Pubkey::default(),
        vault: Pubkey::default(),
        oracle: Pubkey::default(),
        user_token: Pubkey::default(),
        user_lp: Pubkey::default(),
        price_sets: 0,
    };
    // Fund the signers that pay rent (the depositor pays for its LP cooldown record).
    let payer = env.ctx.payer.pubkey();
    let fund = [
        system_instruction::transfer(&payer, &env.admin.pubkey(), 10_000_000_000),
        system_instruction::transfer(&payer, &env.oracle_authority.pubkey(), 10_000_000_000),
        system_instruction::transfer(&payer, &env.user.pubkey(), 1_000_000_000),
    ];
    env.send(&fund, &[]).await.unwrap();

    let admin = env.admin.insecure_clone();
    let init = Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::Initialize {
            admin: admin.pubkey(),
            perpetuals,
            transfer_authority,
            system_program: solana_sdk::system_program::ID,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::Initialize {}.data(),
    };
    env.send(&[init], &[&admin]).await.unwrap();
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "main", lp_cooldown_sec);
    env.send(&[ix], &[&admin]).await.unwrap();

    env.mint = env.create_mint(6).await;
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
    env.send(&[add_custody], &[&admin]).await.unwrap();
    env.set_price(100_000_000, 0).await;

    let user_key = env.user.pubkey();
    env.user_token = env.create_token_account(env.mint, user_key).await;
    env.user_lp = env.create_token_account(lp_mint, user_key).await;
    env.mint_to(env.mint, env.user_token, 10_000_000_000).await;
    env
}

#[tokio::test]
async fn setup_records_pool_and_custody() {
    let mut env = setup().await;
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.name, "main");
    assert_eq!(pool.custodies, vec![env.custody]);
    assert_eq!(pool.lp_token_mint, env.lp_mint);
    let custody: Custody = env.account(env.custody).await;
    assert_eq!(custody.oracle.oracle_account, env.oracle);
    assert_eq!(custody.token_account, env.vault);
    assert_eq!(custody.decimals, 6);
}

#[tokio::test]
async fn add_then_remove_liquidity_moves_tokens_and_lp() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let now = env.now().await;
    // 10 bps fee: 999 USD deposited, of which 1 USD of LP (DEAD_LP_SUPPLY) goes to no one.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 998_000_001);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded)
        .await;
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 998_000_000);
    let logs = env.send_with_logs(&[ix], &[&user]).await;
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded event");
    assert_eq!(event.amount_in, 1_000_000_000);
    assert_eq!(event.lp_amount_out, 998_000_000);
    assert_eq!(event.dead_lp_amount, DEAD_LP_SUPPLY);
    assert_eq!(event.fee_amount, 1_000_000);
    assert_eq!(event.protocol_fee_amount, 500_000);
    // Supply including the dead shares.
    assert_eq!(event.lp_supply, 999_000_000);
    // No cooldown in this pool: unlocked from the next slot on.
    assert_eq!(event.unlock_time, now);
    // 10 bps fee: 1_000_000 fee, LP = 999 USD; protocol gets half the fee.
    assert_eq!(env.token_balance(env.user_lp).await, 998_000_000);
    assert_eq!(env.token_balance(env.vault).await, 1_000_000_000);
    assert!(env.is_frozen(env.user_lp).await);
    let custody: Custody = env.account(env.custody).await;
    assert_eq!(custody.assets.owned, 999_500_000);
    assert_eq!(custody.assets.protocol_fees, 500_000);
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.aum_usd, 999_500_000);
    assert_eq!(pool.dead_lp_supply, DEAD_LP_SUPPLY);
    let cooldown: LpCooldown = env.account(env.lp_cooldown(env.user_lp)).await;
    assert_eq!(cooldown.pool, env.pool);
    assert_eq!(cooldown.lp_token_account, env.user_lp);
    assert_eq!(cooldown.deposit_slot, event.slot);
    assert_eq!(cooldown.unlock_time, now);

    // LP price = floor(999.5 / 999 * 1e6), the supply counting the dead shares.
    let price: u64 = env.view(env.lp_price_ix()).await.unwrap();
    assert_eq!(price, 1_000_500);
    let aum: u128 = env
        .view(env.aum_ix(&[env.custody, env.oracle]))
        .await
        .unwrap();
    assert_eq!(aum, 999_500_000);

    // Same slot as the deposit: the deposited LP is held back.
    let ix = env.remove_liquidity_ix(100_000_001, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive)
        .await;

    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    let before = env.token_balance(env.user_token).await;
    let ix = env.remove_liquidity_ix(100_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    // usd = floor(1e8 * 999_500_000 / 999_000_000) = 100_050_050; fee ceil(20 bps) = 200_101.
    let received = env.token_balance(env.user_token).await - before;
    assert_eq!(received, 100_050_050 - 200_101);
    assert_eq!(env.token_balance(env.user_lp).await, 898_000_000);
    // The redemption thawed the account.
    assert!(!env.is_frozen(env.user_lp).await);
    let custody: Custody = env.account(env.custody).await;
    // Vault = owned + protocol fees, always.
    assert_eq!(
        env.token_balance(env.vault).await,
        custody.assets.owned + custody.assets.protocol_fees
    );
}

impl Env {
    fn unlock_lp_ix(&self, lp_token_account: Pubkey) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::UnlockLp {
                lp_token_account,
                lp_cooldown: self.lp_cooldown(lp_token_account),
                transfer_authority: self.transfer_authority,
                perpetuals: self.perpetuals,
                pool: self.pool,
                lp_token_mint: self.lp_mint,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: perp_pool::instruction::UnlockLp {}.data(),
        }
    }

    fn transfer_lp_ix(&self, to: Pubkey, amount: u64) -> Instruction {
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
}

/// Finding 3: the first deposit must be worth more than the dead shares, which stay in the
/// supply when every LP has redeemed, so the next depositor cannot take what the pool still owns.
#[tokio::test]
async fn first_deposit_pays_for_the_dead_shares_and_supply_never_returns_to_zero() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    // 1.001 USDC less the 10 bps fee (1_002 units) is below 1 USD of dead shares.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_001_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::ZeroAmount)
        .await;
    // 2 USDC: deposit_usd 1_998_000, LP 998_000 to the user, 1_000_000 dead.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 2_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    assert_eq!(env.token_balance(env.user_lp).await, 998_000);
    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    // Everything the user holds: LP supply 0, the dead shares remain.
    let ix = env.remove_liquidity_ix(998_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    let mint = env
        .ctx
        .banks_client
        .get_account(env.lp_mint)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        spl_token::state::Mint::unpack(&mint.data).unwrap().supply,
        0
    );
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.dead_lp_supply, DEAD_LP_SUPPLY);
    // The pool still owns about 1 USD; LP is priced against it and the dead shares.
    let custody: Custody = env.account(env.custody).await;
    let owned = custody.assets.owned;
    assert!(owned > 1_000_000);
    // Price = floor(aum_min * 10^6 / DEAD_LP_SUPPLY) = aum_min = owned (USDC at 1 USD).
    let price: u64 = env.view(env.lp_price_ix()).await.unwrap();
    assert_eq!(price, owned);
    // The next deposit buys LP at that price, not at 1 USD.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 10_000_000, 0);
    let logs = env.send_with_logs(&[ix], &[&user]).await;
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded");
    assert_eq!(event.dead_lp_amount, 0);
    assert_eq!(
        u128::from(event.lp_amount_out),
        u128::from(event.deposit_usd) * u128::from(DEAD_LP_SUPPLY) / event.aum_max_usd
    );
}

/// Finding 6: LP minted by a deposit is frozen in the depositor's own account until the slot
/// after the deposit and the pool's cooldown; it can neither be redeemed nor transferred before.
#[tokio::test]
async fn deposit_cooldown_freezes_the_depositors_lp() {
    let mut env = setup_with_cooldown(3_600).await;
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.lp_cooldown_sec, 3_600);
    let user = env.user.insecure_clone();
    let now = env.now().await;
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    let logs = env.send_with_logs(&[ix], &[&user]).await;
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded");
    assert_eq!(event.unlock_time, now + 3_600);
    assert!(env.is_frozen(env.user_lp).await);

    // Next slot, cooldown not over: no redemption, no unlock, no transfer.
    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    let ix = env.remove_liquidity_ix(1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive)
        .await;
    // (Every attempt below differs from the others: the bank deduplicates identical transactions.)
    let mut ix = env.unlock_lp_ix(env.user_lp);
    ix.accounts
        .push(AccountMeta::new_readonly(Pubkey::new_unique(), false));
    env.expect_error(&[ix], &[], PerpPoolError::LiquidityCooldownActive)
        .await;
    let other = Keypair::new();
    let other_lp = env.create_token_account(env.lp_mint, other.pubkey()).await;
    let ix = env.transfer_lp_ix(other_lp, 1_000_000);
    let err = env.send(&[ix], &[&user]).await.expect_err("frozen");
    assert_eq!(
        custom_error(err),
        Some(spl_token::error::TokenError::AccountFrozen as u32)
    );

    // One second short of the cooldown: still held.
    env.advance_clock(3_599).await;
    env.set_price(100_000_000, 0).await;
    let ix = env.remove_liquidity_ix(1_000_001, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::LiquidityCooldownActive)
        .await;

    // Cooldown over: anyone may unlock; then the LP moves and redeems freely.
    env.advance_clock(1).await;
    env.set_price(100_000_000, 0).await;
    let ix = env.unlock_lp_ix(env.user_lp);
    let logs = env.send_with_logs(&[ix], &[]).await;
    let unlocked: LpUnlocked = decode_event(&logs).expect("LpUnlocked");
    assert_eq!(unlocked.lp_token_account, env.user_lp);
    assert_eq!(unlocked.owner, user.pubkey());
    assert!(!env.is_frozen(env.user_lp).await);
    // Not frozen any more: a second unlock has nothing to do.
    let mut ix = env.unlock_lp_ix(env.user_lp);
    ix.accounts
        .push(AccountMeta::new_readonly(Pubkey::new_unique(), false));
    env.expect_error(&[ix], &[], PerpPoolError::LiquidityCooldownActive)
        .await;
    let ix = env.transfer_lp_ix(other_lp, 1_000_002);
    env.send(&[ix], &[&user]).await.unwrap();
    let ix = env.remove_liquidity_ix(2_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
}

/// Finding 6: the same-slot defence holds back only the capital that deposited. A stranger's
/// dust deposit in the slot of someone else's withdrawal (here in the same transaction) no
/// longer blocks it.
#[tokio::test]
async fn strangers_deposit_does_not_block_a_withdrawal() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    env.next_slot().await;
    env.set_price(100_000_000, 0).await;

    let stranger = Keypair::new();
    let payer = env.ctx.payer.pubkey();
    env.send(
        &[system_instruction::transfer(
            &payer,
            &stranger.pubkey(),
            1_000_000_000,
        )],
        &[],
    )
    .await
    .unwrap();
    let stranger_token = env.create_token_account(env.mint, stranger.pubkey()).await;
    let stranger_lp = env
        .create_token_account(env.lp_mint, stranger.pubkey())
        .await;
    env.mint_to(env.mint, stranger_token, 10_000_000).await;
    let mut accounts = env.add_liquidity_accounts();
    accounts.owner = stranger.pubkey();
    accounts.funding_account = stranger_token;
    accounts.lp_token_account = stranger_lp;
    accounts.lp_cooldown = env.lp_cooldown(stranger_lp);
    let dust = env.add_liquidity_ix(accounts, 10_000, 0);
    let withdraw = env.remove_liquidity_ix(100_000_000, 0);
    env.send(&[dust, withdraw], &[&stranger, &user])
        .await
        .unwrap();
    assert!(env.is_frozen(stranger_lp).await);
    assert!(!env.is_frozen(env.user_lp).await);
    // The stranger's own LP is held in that slot.
    let mut ix = env.remove_liquidity_ix(1, 0);
    ix.accounts[0].pubkey = stranger.pubkey();
    ix.accounts[1].pubkey = stranger_token;
    ix.accounts[2].pubkey = stranger_lp;
    ix.accounts[3].pubkey = env.lp_cooldown(stranger_lp);
    env.expect_error(&[ix], &[&stranger], PerpPoolError::LiquidityCooldownActive)
        .await;
}

/// LP can only be minted into the depositor's own account (else a deposit could freeze someone
/// else's LP), and the cooldown record must be the account's PDA.
#[tokio::test]
async fn deposit_into_someone_elses_lp_account_is_rejected() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let other_lp = env
        .create_token_account(env.lp_mint, Pubkey::new_unique())
        .await;
    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_token_account = other_lp;
    accounts.lp_cooldown = env.lp_cooldown(other_lp);
    let ix = env.add_liquidity_ix(accounts, 1_000_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidLpTokenAccount)
        .await;
    // The cooldown record of another account: a seeds violation.
    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_cooldown = env.lp_cooldown(other_lp);
    let ix = env.add_liquidity_ix(accounts, 1_000_000_000, 0);
    let err = env.send(&[ix], &[&user]).await.expect_err("wrong PDA");
    assert_eq!(
        custom_error(err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    let mut ix = env.remove_liquidity_ix(1_000_000, 0);
    ix.accounts[3].pubkey = env.lp_cooldown(other_lp);
    let err = env.send(&[ix], &[&user]).await.expect_err("wrong PDA");
    assert_eq!(
        custom_error(err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
}

#[tokio::test]
async fn slippage_guard_rejects_deposit() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 999_000_001);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded)
        .await;
}

#[tokio::test]
async fn zero_deposit_is_rejected() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 0, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::ZeroAmount)
        .await;
}

#[tokio::test]
async fn paused_deposits_are_rejected_and_only_admin_can_pause() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.set_permissions_ix(user.pubkey(), false);
    env.expect_error(&[ix], &[&user], PerpPoolError::Unauthorized)
        .await;

    let admin = env.admin.insecure_clone();
    let ix = env.set_permissions_ix(admin.pubkey(), false);
    env.send(&[ix], &[&admin]).await.unwrap();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed)
        .await;
}

#[tokio::test]
async fn stale_oracle_is_rejected() {
    let mut env = setup().await;
    let now = env.now().await;
    let authority = env.oracle_authority.insecure_clone();
    // A reading older than the stored one is refused (it could roll the price back)...
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 0, 0, now - 31);
    env.expect_error(
        &[ix],
        &[&authority],
        PerpPoolError::OraclePublishTimeRegressed,
    )
    .await;
    // ...one as old is accepted.
    let ix = env.set_price_ix(authority.pubkey(), 100_000_001, 0, 0, now);
    env.send(&[ix], &[&authority]).await.unwrap();
    // 31 s later with no new reading the price is stale (max age 30 s).
    env.advance_clock(31).await;
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::StaleOraclePrice)
        .await;
}

#[tokio::test]
async fn wide_confidence_is_rejected() {
    let mut env = setup().await;
    let now = env.now().await;
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 1_000_001, 0, now);
    env.send(&[ix], &[&authority]).await.unwrap();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::OraclePriceConfidenceTooLow)
        .await;
}

#[tokio::test]
async fn only_oracle_authority_sets_price() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.set_price_ix(user.pubkey(), 1, 0, 0, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAuthority)
        .await;
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 0, 0, 0, 0);
    env.expect_error(&[ix], &[&authority], PerpPoolError::InvalidOraclePrice)
        .await;
}

#[tokio::test]
async fn wrong_vault_oracle_and_mints_are_rejected() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();

    let mut accounts = env.add_liquidity_accounts();
    accounts.custody_token_account = env.user_token;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidVault)
        .await;

    let mut accounts = env.add_liquidity_accounts();
    accounts.custody_oracle_account = env.custody;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAccount)
        .await;

    let mut accounts = env.add_liquidity_accounts();
    accounts.funding_account = env.user_lp;
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidMint)
        .await;

    let mut accounts = env.add_liquidity_accounts();
    accounts.lp_token_account = env.user_token;
    accounts.lp_cooldown = env.lp_cooldown(env.user_token);
    let ix = env.add_liquidity_ix(accounts, 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidLpTokenMint)
        .await;
}

#[tokio::test]
async fn view_rejects_missing_or_extra_remaining_accounts() {
    let mut env = setup().await;
    let err = env
        .view::<u128>(env.aum_ix(&[]))
        .await
        .expect_err("must fail");
    assert_eq!(
        custom_error(err),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
    let err = env
        .view::<u128>(env.aum_ix(&[env.oracle, env.custody]))
        .await
        .expect_err("must fail");
    assert_eq!(
        custom_error(err),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
}

#[tokio::test]
async fn add_pool_checks_admin_and_name() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let payer = env.ctx.payer.pubkey();
    env.send(
        &[system_instruction::transfer(
            &payer,
            &user.pubkey(),
            1_000_000_000,
        )],
        &[],
    )
    .await
    .unwrap();
    let ix = env.add_pool_ix(user.pubkey(), "other");
    env.expect_error(&[ix], &[&user], PerpPoolError::Unauthorized)
        .await;
    let admin = env.admin.insecure_clone();
    let ix = env.add_pool_ix(admin.pubkey(), "");
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolName)
        .await;
    let long = "x".repeat(33);
    // A 33-byte name cannot even be a seed; build the instruction with a dummy pool key.
    let mut ix = env.add_pool_ix(admin.pubkey(), "placeholder");
    ix.data = perp_pool::instruction::AddPool {
        params: AddPoolParams {
            name: long,
            lp_cooldown_sec: 0,
        },
    }
    .data();
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolName)
        .await;
    // The LP cooldown is at most MAX_LP_COOLDOWN_SEC.
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "other", MAX_LP_COOLDOWN_SEC + 1);
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolConfig)
        .await;
    let ix = env.add_pool_ix_with_cooldown(admin.pubkey(), "other", MAX_LP_COOLDOWN_SEC);
    env.send(&[ix], &[&admin]).await.unwrap();
    let pool: Pool = env.account(pda(&[POOL_SEED, b"other"])).await;
    assert_eq!(pool.lp_cooldown_sec, MAX_LP_COOLDOWN_SEC);
    assert_eq!(pool.dead_lp_supply, 0);
    // The LP mint's freeze authority is the transfer authority (it enforces the cooldown).
    let mint = env
        .ctx
        .banks_client
        .get_account(pool.lp_token_mint)
        .await
        .unwrap()
        .unwrap();
    let mint = spl_token::state::Mint::unpack(&mint.data).unwrap();
    assert_eq!(
        mint.freeze_authority,
        solana_sdk::program_option::COption::Some(env.transfer_authority)
    );
}

#[tokio::test]
async fn future_oracle_timestamp_is_rejected() {
    let mut env = setup().await;
    let now = env.now().await;
    let authority = env.oracle_authority.insecure_clone();
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 0, 0, now + 60);
    env.send(&[ix], &[&authority]).await.unwrap();
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::OracleFutureTimestamp)
        .await;
}

#[tokio::test]
async fn withdrawal_slippage_guard() {
    let mut env = setup().await;
    let user = env.user.insecure_clone();
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    let ix = env.remove_liquidity_ix(100_000_000, 100_000_000);
    env.expect_error(&[ix], &[&user], PerpPoolError::SlippageExceeded)
        .await;
}

#[tokio::test]
async fn second_custody_requires_other_custodies_as_remaining_accounts() {
    let mut env = setup().await;
    let (_, sol_custody) = env.add_custody(9).await;
    let sol_oracle = pda(&[ORACLE_SEED, sol_custody.as_ref()]);
    env.set_price_of(sol_custody, 15_000_000_000).await; // 150 USD
    let user = env.user.insecure_clone();

    // Without the SOL custody and oracle the pool cannot be valued.
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidCustodyAccounts)
        .await;

    // Oracle swapped for the custody: rejected.
    let mut ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    ix.accounts
        .push(AccountMeta::new_readonly(sol_custody, false));
    ix.accounts
        .push(AccountMeta::new_readonly(env.oracle, false));
    env.expect_error(&[ix], &[&user], PerpPoolError::InvalidOracleAccount)
        .await;

    let mut ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 0);
    ix.accounts
        .push(AccountMeta::new_readonly(sol_custody, false));
    ix.accounts
        .push(AccountMeta::new_readonly(sol_oracle, false));
    env.send(&[ix], &[&user]).await.unwrap();
    assert_eq!(env.token_balance(env.user_lp).await, 998_000_000);

    // The views take every custody, in pool order.
    let aum: u128 = env
        .view(env.aum_ix(&[env.custody, env.oracle, sol_custody, sol_oracle]))
        .await
        .unwrap();
    assert_eq!(aum, 999_500_000);
    let err = env
        .view::<u128>(env.aum_ix(&[sol_custody, sol_oracle, env.custody, env.oracle]))
        .await
        .expect_err("wrong order");
    assert_eq!(
        custom_error(err),
        Some(u32::from(PerpPoolError::InvalidCustodyAccounts))
    );
}

#[tokio::test]
async fn ninth_custody_is_rejected() {
    let mut env = setup().await;
    for _ in 1..MAX_CUSTODIES {
        env.add_custody(6).await;
    }
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.custodies.len(), usize::from(MAX_CUSTODIES));
    let mint = env.create_mint(6).await;
    let ix = env.add_custody_ix(mint, Fees::default());
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], PerpPoolError::TooManyCustodies)
        .await;
}

#[tokio::test]
async fn custody_fee_above_100_percent_is_rejected() {
    let mut env = setup().await;
    let mint = env.create_mint(6).await;
    let ix = env.add_custody_ix(
        mint,
        Fees {
            add_liquidity_bps: 10_001,
            ..Fees::default()
        },
    );
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig)
        .await;
}

/// The liquidation fee must be at least the close fee (the reward is paid after it), so an owner
/// liquidating its own position is never paid more than a close.
#[tokio::test]
async fn liquidation_fee_below_close_fee_is_rejected() {
    let mut env = setup().await;
    let admin = env.admin.insecure_clone();
    let fees = |liquidation_bps| Fees {
        close_position_bps: 10,
        liquidation_bps,
        ..Fees::default()
    };
    let mint = env.create_mint(6).await;
    let ix = env.add_custody_ix(mint, fees(9));
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig)
        .await;
    let ix = env.add_custody_ix(mint, fees(10));
    env.send(&[ix], &[&admin]).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Perpetuals core
// ---------------------------------------------------------------------------------------------

const USD: u64 = 1_000_000;
/// 1 USD per whole token in PRICE_DECIMALS.
const PRICE: u64 = 10u64.pow(PRICE_DECIMALS as u32);

/// A SOL-like market: no spread, 1x..50x initial, 100x maintenance, 1x payoff.
fn sol_pricing() -> PricingParams {
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

fn sol_fees() -> Fees {
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
struct Trading {
    env: Env,
    sol_custody: Pubkey,
    sol_oracle: Pubkey,
    /// Count of USDC oracle refreshes (see `set_sol_price`).
    refreshes: u64,
}

impl Env {
    fn add_custody_full_ix(
        &self,
        mint: Pubkey,
        is_stable: bool,
        fees: Fees,
        pricing: PricingParams,
    ) -> Instruction {
        let mut ix = self.add_custody_ix(mint, fees);
        ix.data = perp_pool::instruction::AddCustody {
            params: AddCustodyParams {
                is_stable,
                oracle: OracleParams {
                    oracle_account: Pubkey::default(),
                    oracle_type: OracleType::Custom,
                    oracle_authority: self.oracle_authority.pubkey(),
                    max_price_error_bps: 100,
                    max_price_age_sec: 30,
                    feed_id: [0; 32],
                },
                fees,
                pricing,
                borrow_rate: BorrowRateParams::default(),
            },
        }
        .data();
        ix
    }
}

async fn setup_trading() -> Trading {
    let mut env = setup().await;
    // The trader pays the position's rent.
    let payer = env.ctx.payer.pubkey();
    let fund = system_instruction::transfer(&payer, &env.user.pubkey(), 1_000_000_000);
    env.send(&[fund], &[]).await.unwrap();
    let sol_mint = env.create_mint(9).await;
    let ix = env.add_custody_full_ix(sol_mint, false, sol_fees(), sol_pricing());
    let admin = env.admin.insecure_clone();
    env.send(&[ix], &[&admin]).await.unwrap();
    let sol_custody = pda(&[CUSTODY_SEED, env.pool.as_ref(), sol_mint.as_ref()]);
    let sol_oracle = pda(&[ORACLE_SEED, sol_custody.as_ref()]);
    env.set_price_of(sol_custody, 15_000_000_000).await;
    let mut t = Trading {
        env,
        sol_custody,
        sol_oracle,
        refreshes: 0,
    };
    let ix = t.add_liquidity_ix(5_000 * USD);
    let user = t.env.user.insecure_clone();
    t.env.send(&[ix], &[&user]).await.unwrap();
    t
}

impl Trading {
    fn add_liquidity_ix(&self, amount: u64) -> Instruction {
        let mut ix = self
            .env
            .add_liquidity_ix(self.env.add_liquidity_accounts(), amount, 0);
        ix.accounts
            .push(AccountMeta::new_readonly(self.sol_custody, false));
        ix.accounts
            .push(AccountMeta::new_readonly(self.sol_oracle, false));
        ix
    }

    fn position_key(&self, owner: Pubkey, side: Side) -> Pubkey {
        pda(&[
            POSITION_SEED,
            owner.as_ref(),
            self.env.pool.as_ref(),
            self.sol_custody.as_ref(),
            self.env.custody.as_ref(),
            &[side.seed_byte()],
        ])
    }

    fn open_ix(
        &self,
        side: Side,
        collateral_amount: u64,
        size_usd: u64,
        price_limit: u64,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::OpenPosition {
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
                system_program: solana_sdk::system_program::ID,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: perp_pool::instruction::OpenPosition {
                params: OpenPositionParams {
                    price_limit,
                    collateral_amount,
                    size_usd,
                    side,
                },
            }
            .data(),
        }
    }

    fn close_ix(&self, side: Side, price_limit: u64) -> Instruction {
        let owner = self.env.user.pubkey();
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::ClosePosition {
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
            .to_account_metas(None),
            data: perp_pool::instruction::ClosePosition {
                params: ClosePositionParams { price_limit },
            }
            .data(),
        }
    }

    fn decrease_ix(&self, side: Side, size_usd: u64, price_limit: u64) -> Instruction {
        let mut ix = self.close_ix(side, price_limit);
        ix.data = perp_pool::instruction::DecreasePosition {
            params: DecreasePositionParams {
                price_limit,
                size_usd,
            },
        }
        .data();
        ix
    }

    /// Publishes SOL at `price` (expo -8) and refreshes USDC at 1 USD, both at the current time.
    /// Each USDC refresh carries a different confidence so that two refreshes within one
    /// timestamp are different transactions (the bank rejects a repeated one as AlreadyProcessed).
    async fn set_sol_price(&mut self, price: u64) {
        self.set_sol_price_expo(price, -8).await;
    }

    /// `set_sol_price` with the oracle exponent `expo`.
    async fn set_sol_price_expo(&mut self, price: u64, expo: i32) {
        let sol = self.sol_custody;
        self.env.set_price_of_expo(sol, price, expo).await;
        self.refreshes += 1;
        let now = self.env.now().await;
        let authority = self.env.oracle_authority.insecure_clone();
        let ix = self
            .env
            .set_price_ix(authority.pubkey(), 100_000_000, self.refreshes, 0, now);
        self.env.send(&[ix], &[&authority]).await.unwrap();
    }

    /// Vault balance == owned + collateral + protocol fees + insurance fund.
    async fn assert_vault_balanced(&mut self) {
        let custody: Custody = self.env.account(self.env.custody).await;
        let a = custody.assets;
        assert_eq!(
            self.env.token_balance(self.env.vault).await,
            a.owned + a.collateral + a.protocol_fees + a.insurance_fund
        );
    }
}

#[tokio::test]
async fn open_and_close_long_at_profit() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let before = t.env.token_balance(t.env.user_token).await;
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let opened: PositionOpened = decode_event(&logs).expect("PositionOpened");
    assert_eq!(opened.price, 150 * PRICE);
    assert_eq!(opened.fee_amount, 1_500_000);
    assert_eq!(opened.collateral_amount, 98_500_000);
    assert_eq!(opened.locked_amount, 1_500 * USD);
    // 1_500 USD at 150 USD: 10 tokens (QUANTITY_DECIMALS = 12).
    assert_eq!(opened.quantity, 10_000_000_000_000);
    let position: Position = t
        .env
        .account(t.position_key(user.pubkey(), Side::Long))
        .await;
    assert_eq!(position.size_usd, 1_500 * USD);
    assert_eq!(position.quantity, 10_000_000_000_000);
    assert_eq!(position.price, 150 * PRICE);
    assert_eq!(position.side, Side::Long);
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.long_positions.open_positions, 1);
    assert_eq!(sol.long_positions.total_quantity, 10_000_000_000_000);
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.assets.collateral, 98_500_000);
    assert_eq!(usdc.assets.locked, 1_500 * USD);
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 1_500 * USD);
    t.assert_vault_balanced().await;

    // +10 %: profit 150 USD, close fee 1.5 USD.
    t.set_sol_price(16_500_000_000).await;
    let ix = t.close_ix(Side::Long, 165 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.profit_usd, 150 * USD);
    assert_eq!(closed.size_usd, 0);
    assert_eq!(closed.quantity_delta, 10_000_000_000_000);
    assert_eq!(closed.quantity, 0);
    let received = t.env.token_balance(t.env.user_token).await + 100 * USD - before;
    assert_eq!(
        received,
        98_500_000 + 150 * USD - 1_500_000 - closed.lp_paid
    );
    assert!(t
        .env
        .ctx
        .banks_client
        .get_account(t.position_key(user.pubkey(), Side::Long))
        .await
        .unwrap()
        .is_none());
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 0);
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.long_positions, Default::default());
    t.assert_vault_balanced().await;
}

#[tokio::test]
async fn open_and_close_short_at_loss() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let before = t.env.token_balance(t.env.user_token).await;
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    // +2 % against the short: loss 30 USD.
    t.set_sol_price(15_300_000_000).await;
    let ix = t.close_ix(Side::Short, 153 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.loss_usd, 30 * USD);
    let spent = before - t.env.token_balance(t.env.user_token).await;
    // open fee 1.5 + loss 30 + close fee 1.5 (+ any interest)
    assert_eq!(
        spent,
        1_500_000 + 30 * USD + 1_500_000 + closed.interest_usd
    );
    t.assert_vault_balanced().await;
}

#[tokio::test]
async fn open_position_checks() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    // Entry above the limit.
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE - 1);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::PriceSlippage)
        .await;
    // 60x.
    let ix = t.open_ix(Side::Long, 25 * USD, 1_500 * USD, 150 * PRICE);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded)
        .await;
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    // A second open of the same position (not byte-identical: the bank would dedupe it).
    let ix = t.open_ix(Side::Long, 100 * USD, 1_400 * USD, 150 * PRICE);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidPositionState)
        .await;
    // Collateral in a non-stable custody.
    let mut ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 0);
    ix.accounts[6].pubkey = t.sol_custody; // collateral_custody
    ix.accounts[9].pubkey = pda(&[
        POSITION_SEED,
        user.pubkey().as_ref(),
        t.env.pool.as_ref(),
        t.sol_custody.as_ref(),
        t.sol_custody.as_ref(),
        &[Side::Short.seed_byte()],
    ]);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidCollateralCustody)
        .await;
    // Paused.
    let admin = t.env.admin.insecure_clone();
    let mut ix = t.env.set_permissions_ix(admin.pubkey(), true);
    ix.data = perp_pool::instruction::SetPermissions {
        params: SetPermissionsParams {
            allow_add_liquidity: true,
            allow_remove_liquidity: true,
            allow_open_position: false,
            allow_close_position: false,
            allow_liquidation: true,
        },
    }
    .data();
    t.env.send(&[ix], &[&admin]).await.unwrap();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed)
        .await;
    let ix = t.close_ix(Side::Long, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InstructionNotAllowed)
        .await;
}

#[tokio::test]
async fn partial_decrease_then_close() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let ix = t.decrease_ix(Side::Long, 1_500 * USD, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::InvalidPositionState)
        .await;
    let ix = t.decrease_ix(Side::Long, 500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let position: Position = t
        .env
        .account(t.position_key(user.pubkey(), Side::Long))
        .await;
    assert_eq!(position.size_usd, 1_000 * USD);
    assert_eq!(position.locked_amount, 1_000 * USD);
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.long_positions.size_usd, 1_000 * USD);
    assert_eq!(sol.long_positions.open_positions, 1);
    t.assert_vault_balanced().await;
    let ix = t.close_ix(Side::Long, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.long_positions, Default::default());
    t.assert_vault_balanced().await;
}

impl Trading {
    /// Accounts of the position views (get_pnl, get_liquidation_price, ...), in IDL order.
    fn position_view_metas(&self, side: Side) -> Vec<AccountMeta> {
        perp_pool::accounts::PositionView {
            perpetuals: self.env.perpetuals,
            pool: self.env.pool,
            custody: self.sol_custody,
            custody_oracle_account: self.sol_oracle,
            collateral_custody: self.env.custody,
            collateral_custody_oracle_account: self.env.oracle,
            position: self.position_key(self.env.user.pubkey(), side),
        }
        .to_account_metas(None)
    }

    fn view_ix(&self, accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts,
            data,
        }
    }

    async fn liquidation_price(&mut self, side: Side) -> u64 {
        let ix = self.view_ix(
            self.position_view_metas(side),
            perp_pool::instruction::GetLiquidationPrice {}.data(),
        );
        self.env.view(ix).await.unwrap()
    }

    async fn liquidation_state(&mut self, side: Side) -> bool {
        let ix = self.view_ix(
            self.position_view_metas(side),
            perp_pool::instruction::GetLiquidationState {}.data(),
        );
        self.env.view(ix).await.unwrap()
    }

    async fn pnl(&mut self, side: Side) -> ProfitAndLoss {
        let ix = self.view_ix(
            self.position_view_metas(side),
            perp_pool::instruction::GetPnl {}.data(),
        );
        self.env.view(ix).await.unwrap()
    }

    fn liquidate_ix(
        &self,
        liquidator: Pubkey,
        receiving_account: Pubkey,
        side: Side,
    ) -> Instruction {
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::Liquidate {
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
            }
            .to_account_metas(None),
            data: perp_pool::instruction::Liquidate {}.data(),
        }
    }

    /// A keeper with a USDC account.
    async fn keeper(&mut self) -> (Keypair, Pubkey) {
        let keeper = Keypair::new();
        let account = self
            .env
            .create_token_account(self.env.mint, keeper.pubkey())
            .await;
        (keeper, account)
    }

    /// Accounts shared by increase_position / add_collateral (funding side).
    fn funding_metas(&self, side: Side) -> Vec<AccountMeta> {
        perp_pool::accounts::FundPosition {
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
        .to_account_metas(None)
    }

    fn remove_collateral_ix(&self, side: Side, collateral_usd: u64) -> Instruction {
        let mut ix = self.close_ix(side, 0);
        ix.data = perp_pool::instruction::RemoveCollateral {
            params: RemoveCollateralParams { collateral_usd },
        }
        .data();
        ix
    }

    fn aum_remaining(&self) -> Vec<Pubkey> {
        vec![
            self.env.custody,
            self.env.oracle,
            self.sol_custody,
            self.sol_oracle,
        ]
    }
}

/// Sets SOL so that its PRICE_DECIMALS price is exactly `price` (oracle expo -PRICE_DECIMALS).
async fn set_sol_price_decimals(t: &mut Trading, price: u64) {
    t.set_sol_price_expo(price, -i32::from(PRICE_DECIMALS))
        .await;
}

#[tokio::test]
async fn long_liquidated_one_tick_past_liquidation_price() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let p = t.liquidation_price(Side::Long).await;
    // 1_500 USD at 150 with 98.5 USD: maintenance equity 15 USD, close fee 1.5 -> loss 82 USD:
    // the 10 SOL must stay worth 1_418 USD, P >= 141.8 USD.
    assert_eq!(p, 141_800_000_000);
    let (keeper, keeper_usdc) = t.keeper().await;

    set_sol_price_decimals(&mut t, p).await;
    assert!(!t.liquidation_state(Side::Long).await);
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionHealthy)
        .await;

    set_sol_price_decimals(&mut t, p - 1).await;
    assert!(t.liquidation_state(Side::Long).await);
    // A different keeper: the same keeper's identical transaction would be AlreadyProcessed.
    let (keeper, keeper_usdc) = t.keeper().await;
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Long);
    let logs = t.env.send_with_logs(&[ix], &[&keeper]).await;
    let event: PositionLiquidated = decode_event(&logs).expect("PositionLiquidated");
    assert_eq!(event.exit_price, p - 1);
    // reward = 20 bps of 1_500 USD
    assert_eq!(event.reward_paid, 3 * USD);
    assert_eq!(t.env.token_balance(keeper_usdc).await, 3 * USD);
    assert!(t
        .env
        .ctx
        .banks_client
        .get_account(t.position_key(user.pubkey(), Side::Long))
        .await
        .unwrap()
        .is_none());
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    t.assert_vault_balanced().await;
}

/// Finding 4: an underwater position pays no liquidator reward, so its owner gains nothing by
/// liquidating it himself: the collateral goes to the LPs first.
#[tokio::test]
async fn underwater_self_liquidation_pays_no_reward() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    // -6.67 %: loss 100 USD on 98.5 USD of collateral.
    set_sol_price_decimals(&mut t, 140 * PRICE).await;
    let before = t.env.token_balance(t.env.user_token).await;
    let ix = t.liquidate_ix(user.pubkey(), t.env.user_token, Side::Long);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let event: PositionLiquidated = decode_event(&logs).expect("PositionLiquidated");
    assert_eq!(event.loss_usd, 100 * USD);
    assert_eq!(event.reward_usd, 3 * USD);
    assert_eq!(event.reward_paid, 0);
    assert_eq!(event.lp_paid, 98_500_000);
    assert_eq!(event.fee_paid, 0);
    assert_eq!(event.bad_debt_usd, 1_500_000);
    assert_eq!(t.env.token_balance(t.env.user_token).await, before);
    t.assert_vault_balanced().await;
}

/// Finding 5: a liquidatable position cannot be increased (the position after an increase must
/// be within the max initial leverage at the exit price, profit not counted).
#[tokio::test]
async fn liquidatable_position_cannot_be_increased() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let p = t.liquidation_price(Side::Long).await;
    set_sol_price_decimals(&mut t, p - 1).await;
    assert!(t.liquidation_state(Side::Long).await);
    let increase = |t: &Trading, collateral_amount: u64| {
        t.view_ix(
            t.funding_metas(Side::Long),
            perp_pool::instruction::IncreasePosition {
                params: IncreasePositionParams {
                    price_limit: 150 * PRICE,
                    collateral_amount,
                    size_usd: 15 * USD,
                },
            }
            .data(),
        )
    };
    let ix = increase(&t, 0);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded)
        .await;
    // Enough collateral for the initial leverage: allowed (and the position is healthy again).
    let ix = increase(&t, 100 * USD);
    t.env.send(&[ix], &[&user]).await.unwrap();
    assert!(!t.liquidation_state(Side::Long).await);
    t.assert_vault_balanced().await;
}

/// Finding 1: a short increase of one micro-USD adds the quantity it sells, rounded up (6_667
/// units of 10^-12 SOL at 150 USD), so the average entry cannot rise without exposure and a close
/// at the same price pays no profit.
#[tokio::test]
async fn dust_short_increase_adds_exposure() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let ix = t.view_ix(
        t.funding_metas(Side::Short),
        perp_pool::instruction::IncreasePosition {
            params: IncreasePositionParams {
                price_limit: 150 * PRICE,
                collateral_amount: 0,
                size_usd: 1,
            },
        }
        .data(),
    );
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let increased: PositionIncreased = decode_event(&logs).expect("PositionIncreased");
    assert_eq!(increased.quantity_delta, 6_667);
    assert_eq!(increased.quantity, 10_000_000_006_667);
    let position: Position = t
        .env
        .account(t.position_key(user.pubkey(), Side::Short))
        .await;
    assert_eq!(position.quantity, 10_000_000_006_667);
    // floor(1_500.000001 USD / 10.000000006667 SOL) = 149.999999999(995): the short's average
    // entry went DOWN.
    assert_eq!(position.price, 149_999_999_999);
    let ix = t.close_ix(Side::Short, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(closed.profit_usd, 0);
    assert_eq!(closed.loss_usd, 1);
    t.assert_vault_balanced().await;
}

#[tokio::test]
async fn short_liquidated_one_tick_past_liquidation_price() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Short, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let p = t.liquidation_price(Side::Short).await;
    // Mirror: the 10 SOL owed must stay worth at most 1_582 USD, P <= 158.2 USD.
    assert_eq!(p, 158_200_000_000);
    let (keeper, keeper_usdc) = t.keeper().await;
    set_sol_price_decimals(&mut t, p).await;
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Short);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionHealthy)
        .await;
    set_sol_price_decimals(&mut t, p + 1).await;
    // A different keeper: the same keeper's identical transaction would be AlreadyProcessed.
    let (keeper, keeper_usdc) = t.keeper().await;
    let ix = t.liquidate_ix(keeper.pubkey(), keeper_usdc, Side::Short);
    t.env.send(&[ix], &[&keeper]).await.unwrap();
    t.assert_vault_balanced().await;
}

#[tokio::test]
async fn views_agree_with_trades() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let mut accounts = t.position_view_metas(Side::Long);
    accounts.pop(); // no position
    let ix = t.view_ix(
        accounts,
        perp_pool::instruction::GetEntryPriceAndFee {
            params: GetEntryPriceAndFeeParams {
                collateral_amount: 100 * USD,
                size_usd: 1_500 * USD,
                side: Side::Long,
            },
        }
        .data(),
    );
    let quote: NewPositionPricesAndFee = t.env.view(ix).await.unwrap();
    assert_eq!(quote.price, 150 * PRICE);
    assert_eq!(quote.fee_usd, 1_500_000);
    assert_eq!(quote.fee_amount, 1_500_000);
    assert_eq!(quote.liquidation_price, 141_800_000_000);

    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    assert_eq!(
        t.liquidation_price(Side::Long).await,
        quote.liquidation_price
    );

    t.set_sol_price(16_500_000_000).await;
    assert_eq!(
        t.pnl(Side::Long).await,
        ProfitAndLoss {
            profit_usd: 150 * USD,
            loss_usd: 0
        }
    );
    let ix = t.view_ix(
        t.position_view_metas(Side::Long),
        perp_pool::instruction::GetExitPriceAndFee {}.data(),
    );
    let exit: PriceAndFee = t.env.view(ix).await.unwrap();
    assert_eq!(exit.price, 165 * PRICE);
    assert_eq!(exit.fee_usd, 1_500_000);

    let mut accounts = t.position_view_metas(Side::Long);
    accounts.truncate(4);
    let ix = t.view_ix(accounts, perp_pool::instruction::GetOraclePrice {}.data());
    let prices: OraclePrices = t.env.view(ix).await.unwrap();
    assert_eq!(
        prices,
        OraclePrices {
            spot: 165 * PRICE,
            ema: 165 * PRICE,
            min: 165 * PRICE,
            max: 165 * PRICE
        }
    );

    // The pool is the long's counterparty: AUM falls by the long's profit (net of its
    // aggregate quantity rounding), and update_pool_aum stores it.
    let aum: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).await.unwrap();
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(aum, u128::from(usdc.assets.owned) - 150 * u128::from(USD));
    let mut ix = Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::UpdatePoolAum {
            perpetuals: t.env.perpetuals,
            pool: t.env.pool,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::UpdatePoolAum {}.data(),
    };
    for key in t.aum_remaining() {
        ix.accounts.push(AccountMeta::new(key, false));
    }
    t.env.send(&[ix], &[]).await.unwrap();
    let pool: Pool = t.env.account(t.env.pool).await;
    assert_eq!(pool.aum_usd, aum);
}

#[tokio::test]
async fn increase_and_collateral_changes_keep_stats_consistent() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();

    let ix = t.view_ix(
        t.funding_metas(Side::Long),
        perp_pool::instruction::IncreasePosition {
            params: IncreasePositionParams {
                price_limit: 150 * PRICE,
                collateral_amount: 50 * USD,
                size_usd: 1_500 * USD,
            },
        }
        .data(),
    );
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let increased: PositionIncreased = decode_event(&logs).expect("PositionIncreased");
    assert_eq!(increased.quantity_delta, 10_000_000_000_000);
    assert_eq!(increased.quantity, 20_000_000_000_000);
    let position: Position = t
        .env
        .account(t.position_key(user.pubkey(), Side::Long))
        .await;
    assert_eq!(position.size_usd, 3_000 * USD);
    assert_eq!(position.quantity, 20_000_000_000_000);
    assert_eq!(position.price, 150 * PRICE);
    assert_eq!(
        position.collateral_amount,
        98_500_000 + 50 * USD - 1_500_000
    );
    assert_eq!(position.locked_amount, 3_000 * USD);

    let ix = t.view_ix(
        t.funding_metas(Side::Long),
        perp_pool::instruction::AddCollateral {
            params: AddCollateralParams {
                collateral_amount: 10 * USD,
            },
        }
        .data(),
    );
    t.env.send(&[ix], &[&user]).await.unwrap();
    let ix = t.remove_collateral_ix(Side::Long, 20 * USD);
    t.env.send(&[ix], &[&user]).await.unwrap();
    // 3_000 USD at 50x needs 60 USD + 3 USD close fee: 137 USD left, so 80 more is too much.
    let ix = t.remove_collateral_ix(Side::Long, 80 * USD);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::MaxLeverageExceeded)
        .await;
    let position: Position = t
        .env
        .account(t.position_key(user.pubkey(), Side::Long))
        .await;
    assert_eq!(position.collateral_amount, 137 * USD);
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.long_positions.size_usd, 3_000 * USD);
    assert_eq!(sol.long_positions.collateral_usd, 137 * USD);
    assert_eq!(sol.long_positions.total_quantity, 20_000_000_000_000);
    t.assert_vault_balanced().await;

    // Another owner cannot touch the position.
    let stranger = Keypair::new();
    let mut ix = t.remove_collateral_ix(Side::Long, USD);
    ix.accounts[0].pubkey = stranger.pubkey();
    t.env
        .expect_error(&[ix], &[&stranger], PerpPoolError::Unauthorized)
        .await;
}

#[tokio::test]
async fn admin_transfer_config_and_fee_withdrawal() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let admin = t.env.admin.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();

    // Protocol fees: 50 % of the deposit fee (2.5) and of the open fee (0.75).
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.assets.protocol_fees, 2_500_000 + 750_000);
    let receiver = t.env.create_token_account(t.env.mint, admin.pubkey()).await;
    let (perpetuals_key, transfer_authority, pool, vault, usdc_custody, sol_custody) = (
        t.env.perpetuals,
        t.env.transfer_authority,
        t.env.pool,
        t.env.vault,
        t.env.custody,
        t.sol_custody,
    );
    let oracle_authority = t.env.oracle_authority.pubkey();
    let withdraw = move |signer: Pubkey, amount: u64| Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::WithdrawProtocolFees {
            admin: signer,
            perpetuals: perpetuals_key,
            transfer_authority,
            pool,
            custody: usdc_custody,
            custody_token_account: vault,
            receiving_account: receiver,
            token_program: spl_token::ID,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::WithdrawProtocolFees {
            params: WithdrawProtocolFeesParams { amount },
        }
        .data(),
    };
    let ix = withdraw(user.pubkey(), 1);
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized)
        .await;
    let ix = withdraw(admin.pubkey(), 3_250_001);
    t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InsufficientLiquidity)
        .await;
    let ix = withdraw(admin.pubkey(), 3_250_000);
    t.env.send(&[ix], &[&admin]).await.unwrap();
    assert_eq!(t.env.token_balance(receiver).await, 3_250_000);
    t.assert_vault_balanced().await;

    // Config: only the admin; bad values rejected.
    let config = move |signer: Pubkey, pricing: PricingParams| Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::SetCustodyConfig {
            admin: signer,
            perpetuals: perpetuals_key,
            pool,
            custody: sol_custody,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::SetCustodyConfig {
            params: SetCustodyConfigParams {
                oracle: OracleParams {
                    oracle_account: Pubkey::default(),
                    oracle_type: OracleType::Custom,
                    oracle_authority,
                    max_price_error_bps: 100,
                    max_price_age_sec: 30,
                    feed_id: [0; 32],
                },
                fees: sol_fees(),
                pricing,
                borrow_rate: BorrowRateParams::default(),
            },
        }
        .data(),
    };
    let ix = config(user.pubkey(), sol_pricing());
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized)
        .await;
    let bad = PricingParams {
        trade_spread_long_bps: 10_000,
        ..sol_pricing()
    };
    let ix = config(admin.pubkey(), bad);
    t.env
        .expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig)
        .await;
    let wider = PricingParams {
        trade_spread_long_bps: 10,
        ..sol_pricing()
    };
    let ix = config(admin.pubkey(), wider);
    t.env.send(&[ix], &[&admin]).await.unwrap();
    let sol: Custody = t.env.account(t.sol_custody).await;
    assert_eq!(sol.pricing.trade_spread_long_bps, 10);
    assert_eq!(sol.oracle.oracle_account, t.sol_oracle);

    // Two-step admin transfer.
    let new_admin = Keypair::new();
    let ix = Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::TransferAdmin {
            admin: admin.pubkey(),
            perpetuals: t.env.perpetuals,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::TransferAdmin {
            params: TransferAdminParams {
                new_admin: new_admin.pubkey(),
            },
        }
        .data(),
    };
    t.env.send(&[ix], &[&admin]).await.unwrap();
    let accept = move |signer: Pubkey| Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::AcceptAdmin {
            new_admin: signer,
            perpetuals: perpetuals_key,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::AcceptAdmin {}.data(),
    };
    let ix = accept(user.pubkey());
    t.env
        .expect_error(&[ix], &[&user], PerpPoolError::Unauthorized)
        .await;
    let ix = accept(new_admin.pubkey());
    t.env.send(&[ix], &[&new_admin]).await.unwrap();
    let perpetuals: perp_pool::state::perpetuals::Perpetuals =
        t.env.account(t.env.perpetuals).await;
    assert_eq!(perpetuals.admin, new_admin.pubkey());
    assert_eq!(perpetuals.pending_admin, Pubkey::default());
}

#[tokio::test]
async fn trading_the_collateral_custody_itself_keeps_one_consistent_account() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let admin = t.env.admin.insecure_clone();
    // Make USDC tradeable.
    let ix = Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::SetCustodyConfig {
            admin: admin.pubkey(),
            perpetuals: t.env.perpetuals,
            pool: t.env.pool,
            custody: t.env.custody,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::SetCustodyConfig {
            params: SetCustodyConfigParams {
                oracle: OracleParams {
                    oracle_account: Pubkey::default(),
                    oracle_type: OracleType::Custom,
                    oracle_authority: t.env.oracle_authority.pubkey(),
                    max_price_error_bps: 100,
                    max_price_age_sec: 30,
                    feed_id: [0; 32],
                },
                fees: Fees {
                    add_liquidity_bps: 10,
                    remove_liquidity_bps: 20,
                    protocol_share_bps: 5_000,
                    ..sol_fees()
                },
                pricing: sol_pricing(),
                borrow_rate: BorrowRateParams::default(),
            },
        }
        .data(),
    };
    t.env.send(&[ix], &[&admin]).await.unwrap();
    let position = pda(&[
        POSITION_SEED,
        user.pubkey().as_ref(),
        t.env.pool.as_ref(),
        t.env.custody.as_ref(),
        t.env.custody.as_ref(),
        &[Side::Long.seed_byte()],
    ]);
    let mut ix = t.open_ix(Side::Long, 100 * USD, 1_000 * USD, PRICE);
    ix.accounts[4].pubkey = t.env.custody;
    ix.accounts[5].pubkey = t.env.oracle;
    ix.accounts[9].pubkey = position;
    t.env.send(&[ix], &[&user]).await.unwrap();
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.long_positions.size_usd, 1_000 * USD);
    assert_eq!(usdc.assets.locked, 1_000 * USD);
    assert_eq!(usdc.assets.collateral, 99 * USD);
    t.assert_vault_balanced().await;
    let mut ix = t.close_ix(Side::Long, 0);
    ix.accounts[5].pubkey = t.env.custody;
    ix.accounts[6].pubkey = t.env.oracle;
    ix.accounts[10].pubkey = position;
    t.env.send(&[ix], &[&user]).await.unwrap();
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.long_positions, Default::default());
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    t.assert_vault_balanced().await;
}

#[tokio::test]
async fn borrow_interest_accrues_with_time_and_is_paid_on_close() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let usdc: Custody = t.env.account(t.env.custody).await;
    let rate = usdc.borrow_rate_state.current_rate;
    // locked 1_500 of owned 4_998.25 USDC: U = 30.01 %, rate = U * 80_000 / 80 %.
    assert_eq!(rate, 30_010);
    let aum_before: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).await.unwrap();

    // One hour later (oracles republished at the new time).
    let mut clock: Clock = t.env.ctx.banks_client.get_sysvar().await.unwrap();
    clock.unix_timestamp += 3_600;
    t.env.ctx.set_sysvar(&clock);
    t.set_sol_price(15_000_000_000).await;
    // The index grows by rate x seconds; interest = ceil(size x index / (RATE_POWER x 3_600)).
    let interest = (u128::from(rate) * 3_600 * u128::from(1_500 * USD)).div_ceil(3_600_000_000_000);
    let aum_after: u128 = t.env.view(t.env.aum_ix(&t.aum_remaining())).await.unwrap();
    assert_eq!(aum_after - aum_before, interest);

    let ix = t.close_ix(Side::Long, 150 * PRICE);
    let logs = t.env.send_with_logs(&[ix], &[&user]).await;
    let closed: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    assert_eq!(u128::from(closed.interest_usd), interest);
    assert_eq!(closed.cumulative_interest, u128::from(rate) * 3_600);
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.borrow_rate_state.borrow_size_usd, 0);
    assert_eq!(usdc.borrow_rate_state.interest_weighted, 0);
    assert_eq!(usdc.borrow_rate_state.current_rate, 0);
    t.assert_vault_balanced().await;
}

/// A Pyth `PriceUpdateV2` account body (Full verification unless `level` says otherwise).
fn pyth_price_update(
    level: &[u8],
    feed_id: [u8; 32],
    price: i64,
    ema: i64,
    publish_time: i64,
) -> Vec<u8> {
    let mut data = PRICE_UPDATE_V2_DISCRIMINATOR.to_vec();
    data.extend_from_slice(&[9u8; 32]);
    data.extend_from_slice(level);
    data.extend_from_slice(&feed_id);
    data.extend_from_slice(&price.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes()); // conf
    data.extend_from_slice(&(-8i32).to_le_bytes());
    data.extend_from_slice(&publish_time.to_le_bytes());
    data.extend_from_slice(&(publish_time - 1).to_le_bytes());
    data.extend_from_slice(&ema.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes());
    data.extend_from_slice(&7u64.to_le_bytes());
    data.resize(134, 0);
    data
}

#[tokio::test]
async fn pyth_price_update_is_read_and_checked() {
    let mut env = setup().await;
    let feed_id = [42u8; 32];
    let price_account = Pubkey::new_unique();
    let mint = env.create_mint(9).await;
    let mut ix = env.add_custody_ix(mint, Fees::default());
    ix.data = perp_pool::instruction::AddCustody {
        params: AddCustodyParams {
            is_stable: false,
            oracle: OracleParams {
                oracle_account: price_account,
                oracle_type: OracleType::Pyth,
                oracle_authority: Pubkey::default(),
                max_price_error_bps: 100,
                max_price_age_sec: 30,
                feed_id,
            },
            fees: Fees::default(),
            pricing: PricingParams::default(),
            borrow_rate: BorrowRateParams::default(),
        },
    }
    .data();
    let admin = env.admin.insecure_clone();
    env.send(&[ix], &[&admin]).await.unwrap();
    let custody = pda(&[CUSTODY_SEED, env.pool.as_ref(), mint.as_ref()]);

    let now = env.now().await;
    let put = |env: &mut Env, owner: Pubkey, data: Vec<u8>| {
        env.ctx.set_account(
            &price_account,
            &solana_sdk::account::Account {
                lamports: 1_000_000_000,
                data,
                owner,
                executable: false,
                rent_epoch: 0,
            }
            .into(),
        );
    };
    let view_ix = Instruction {
        program_id: perp_pool::ID,
        accounts: perp_pool::accounts::GetOraclePrice {
            perpetuals: env.perpetuals,
            pool: env.pool,
            custody,
            custody_oracle_account: price_account,
        }
        .to_account_metas(None),
        data: perp_pool::instruction::GetOraclePrice {}.data(),
    };

    put(
        &mut env,
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], feed_id, 15_012_345_678, 14_999_999_999, now),
    );
    let prices: OraclePrices = env.view(view_ix.clone()).await.unwrap();
    assert_eq!(
        prices,
        OraclePrices {
            // 150.12345678 and 149.99999999 USD (expo -8): exact in PRICE_DECIMALS.
            spot: 150_123_456_780,
            ema: 149_999_999_990,
            min: 149_999_999_990,
            max: 150_123_456_780
        }
    );

    let expect = |err: BanksClientError, e: PerpPoolError| {
        assert_eq!(custom_error(err), Some(u32::from(e)));
    };
    // Not owned by the Pyth receiver.
    put(
        &mut env,
        Pubkey::new_unique(),
        pyth_price_update(&[1], feed_id, 1, 1, now),
    );
    expect(
        env.view::<OraclePrices>(view_ix.clone()).await.unwrap_err(),
        PerpPoolError::InvalidOracleAccount,
    );
    // Another feed.
    put(
        &mut env,
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], [1u8; 32], 1, 1, now),
    );
    expect(
        env.view::<OraclePrices>(view_ix.clone()).await.unwrap_err(),
        PerpPoolError::InvalidOracleAccount,
    );
    // Partially verified.
    put(
        &mut env,
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[0, 5], feed_id, 1, 1, now),
    );
    expect(
        env.view::<OraclePrices>(view_ix.clone()).await.unwrap_err(),
        PerpPoolError::OracleNotFullyVerified,
    );
    // Stale.
    put(
        &mut env,
        PYTH_RECEIVER_PROGRAM_ID,
        pyth_price_update(&[1], feed_id, 1, 1, now - 31),
    );
    expect(
        env.view::<OraclePrices>(view_ix.clone()).await.unwrap_err(),
        PerpPoolError::StaleOraclePrice,
    );
}

impl Trading {
    fn close_capped_ix(
        &self,
        keeper: Pubkey,
        receiving_account: Pubkey,
        keeper_receiving_account: Pubkey,
        side: Side,
    ) -> Instruction {
        let owner = self.env.user.pubkey();
        Instruction {
            program_id: perp_pool::ID,
            accounts: perp_pool::accounts::CloseCappedPosition {
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
            }
            .to_account_metas(None),
            data: perp_pool::instruction::CloseCappedPosition {}.data(),
        }
    }
}

/// Open finding A mitigation: anyone closes a position whose profit reached its payoff cap; the
/// owner gets a close's payout less the keeper's reward.
#[tokio::test]
async fn stranger_closes_a_capped_position() {
    let mut t = setup_trading().await;
    let user = t.env.user.insecure_clone();
    let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
    t.env.send(&[ix], &[&user]).await.unwrap();
    let (keeper, keeper_usdc) = t.keeper().await;

    // Below the cap (profit 1_499.99 USD of 1_500): refused.
    set_sol_price_decimals(&mut t, 300 * PRICE - 1).await;
    let ix = t.close_capped_ix(keeper.pubkey(), t.env.user_token, keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::PositionNotCapped)
        .await;
    // The owner's payout must go to an account the owner holds.
    set_sol_price_decimals(&mut t, 310 * PRICE).await;
    let ix = t.close_capped_ix(keeper.pubkey(), keeper_usdc, keeper_usdc, Side::Long);
    t.env
        .expect_error(&[ix], &[&keeper], PerpPoolError::Unauthorized)
        .await;

    let before = t.env.token_balance(t.env.user_token).await;
    let ix = t.close_capped_ix(keeper.pubkey(), t.env.user_token, keeper_usdc, Side::Long);
    // The same instruction as the refused one above, possibly under the same blockhash: a
    // compute-budget instruction makes it a different transaction, or the bank's status cache
    // answers AlreadyProcessed.
    let budget =
        solana_sdk::compute_budget::ComputeBudgetInstruction::set_compute_unit_limit(1_000_000);
    let logs = t.env.send_with_logs(&[budget, ix], &[&keeper]).await;
    let decreased: PositionDecreased = decode_event(&logs).expect("PositionDecreased");
    let closed: CappedPositionClosed = decode_event(&logs).expect("CappedPositionClosed");
    assert_eq!(decreased.profit_usd, 1_500 * USD);
    assert_eq!(decreased.size_usd, 0);
    // reward = 20 bps of 1_500 USD, from the owner's 98.5 + 1_500 - 1.5 (close fee)
    assert_eq!(closed.reward_paid, 3 * USD);
    assert_eq!(closed.exit_price, 310 * PRICE);
    assert_eq!(closed.keeper, keeper.pubkey());
    assert_eq!(t.env.token_balance(keeper_usdc).await, 3 * USD);
    let received = t.env.token_balance(t.env.user_token).await - before;
    assert_eq!(
        received,
        98_500_000 + 1_500 * USD - 1_500_000 - decreased.lp_paid - 3 * USD
    );
    assert_eq!(decreased.amount_out, received);
    assert!(t
        .env
        .ctx
        .banks_client
        .get_account(t.position_key(user.pubkey(), Side::Long))
        .await
        .unwrap()
        .is_none());
    let usdc: Custody = t.env.account(t.env.custody).await;
    assert_eq!(usdc.assets.locked, 0);
    assert_eq!(usdc.assets.collateral, 0);
    t.assert_vault_balanced().await;
}
