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
        events::LiquidityAdded,
        instructions::*,
        state::{
            custody::{Custody, Fees},
            oracle::{OracleParams, OracleType},
            pool::Pool,
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
        let now = self.now().await;
        let oracle = pda(&[ORACLE_SEED, custody.as_ref()]);
        let authority = self.oracle_authority.insecure_clone();
        let ix = set_price_ix_for(custody, oracle, authority.pubkey(), price, 0, 0, now);
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
                    },
                    fees,
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
        let ix = self.set_price_ix(self.oracle_authority.pubkey(), price, 0, ema, now);
        let authority = self.oracle_authority.insecure_clone();
        self.send(&[ix], &[&authority]).await.unwrap();
    }

    fn add_liquidity_accounts(&self) -> perp_pool::accounts::AddLiquidity {
        perp_pool::accounts::AddLiquidity {
            owner: self.user.pubkey(),
            funding_account: self.user_token,
            lp_token_account: self.user_lp,
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
/// remove, 50 % protocol share), the oracle set to 1 USD and a user holding 10_000 tokens.
async fn setup() -> Env {
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
    };
    // Fund the signers that pay rent.
    let payer = env.ctx.payer.pubkey();
    let fund = [
        system_instruction::transfer(&payer, &env.admin.pubkey(), 10_000_000_000),
        system_instruction::transfer(&payer, &env.oracle_authority.pubkey(), 10_000_000_000),
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
    let ix = env.add_pool_ix(admin.pubkey(), "main");
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
    let ix = env.add_liquidity_ix(env.add_liquidity_accounts(), 1_000_000_000, 999_000_000);
    let logs = env.send_with_logs(&[ix], &[&user]).await;
    let event: LiquidityAdded = decode_event(&logs).expect("LiquidityAdded event");
    assert_eq!(event.amount_in, 1_000_000_000);
    assert_eq!(event.lp_amount_out, 999_000_000);
    assert_eq!(event.fee_amount, 1_000_000);
    assert_eq!(event.protocol_fee_amount, 500_000);
    assert_eq!(event.lp_supply, 999_000_000);
    // 10 bps fee: 1_000_000 fee, LP = 999 USD; protocol gets half the fee.
    assert_eq!(env.token_balance(env.user_lp).await, 999_000_000);
    assert_eq!(env.token_balance(env.vault).await, 1_000_000_000);
    let custody: Custody = env.account(env.custody).await;
    assert_eq!(custody.assets.owned, 999_500_000);
    assert_eq!(custody.assets.protocol_fees, 500_000);
    let pool: Pool = env.account(env.pool).await;
    assert_eq!(pool.aum_usd, 999_500_000);

    // LP price = floor(999.5 / 999 * 1e6)
    let price: u64 = env.view(env.lp_price_ix()).await.unwrap();
    assert_eq!(price, 1_000_500);
    let aum: u128 = env
        .view(env.aum_ix(&[env.custody, env.oracle]))
        .await
        .unwrap();
    assert_eq!(aum, 999_500_000);

    // Same slot as the deposit: refused.
    let ix = env.remove_liquidity_ix(100_000_000, 0);
    env.expect_error(&[ix], &[&user], PerpPoolError::WithdrawalInDepositSlot)
        .await;

    env.next_slot().await;
    env.set_price(100_000_000, 0).await;
    let before = env.token_balance(env.user_token).await;
    let ix = env.remove_liquidity_ix(100_000_000, 0);
    env.send(&[ix], &[&user]).await.unwrap();
    // usd = floor(1e8 * 999_500_000 / 999_000_000) = 100_050_050; fee ceil(20 bps) = 200_101.
    let received = env.token_balance(env.user_token).await - before;
    assert_eq!(received, 100_050_050 - 200_101);
    assert_eq!(env.token_balance(env.user_lp).await, 899_000_000);
    let custody: Custody = env.account(env.custody).await;
    // Vault = owned + protocol fees, always.
    assert_eq!(
        env.token_balance(env.vault).await,
        custody.assets.owned + custody.assets.protocol_fees
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
    let ix = env.set_price_ix(authority.pubkey(), 100_000_000, 0, 0, now - 31);
    env.send(&[ix], &[&authority]).await.unwrap();
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
        params: AddPoolParams { name: long },
    }
    .data();
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidPoolName)
        .await;
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
    assert_eq!(env.token_balance(env.user_lp).await, 999_000_000);

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
            remove_liquidity_bps: 0,
            protocol_share_bps: 0,
        },
    );
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], PerpPoolError::InvalidCustodyConfig)
        .await;
}
