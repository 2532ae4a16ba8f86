//! The ledger side of the local node: one real `solana-runtime` bank chain with SPL Token,
//! Associated Token and perp_pool loaded, advancing a slot on a timer like a validator, the
//! [`History`] of landed transactions and blocks, and the [`NodeEvent`]s that PubSub turns into
//! notifications.

pub use crate::history::LandedTransaction;
use crate::history::{block_record, token_balances, History};
use crate::native;
use crate::persist::Ledger;
use solana_accounts_db::{
    epoch_accounts_hash::EpochAccountsHash, transaction_results::TransactionExecutionResult,
};
use solana_program_runtime::timings::ExecuteTimings;
use solana_runtime::{
    accounts_background_service::{AbsRequestSender, SnapshotRequestKind},
    bank::{Bank, TransactionSimulationResult},
    bank_forks::BankForks,
    genesis_utils::create_genesis_config_with_leader_ex,
    runtime_config::RuntimeConfig,
};
use solana_sdk::{
    account::AccountSharedData,
    clock::{Clock, Slot, MAX_PROCESSING_AGE},
    commitment_config::CommitmentConfig,
    fee_calculator::{FeeRateGovernor, DEFAULT_TARGET_LAMPORTS_PER_SIGNATURE},
    genesis_config::{ClusterType, GenesisConfig},
    hash::Hash,
    native_token::sol_to_lamports,
    pubkey::Pubkey,
    rent::Rent,
    signature::{Keypair, Signature, Signer},
    system_transaction,
    transaction::{SanitizedTransaction, TransactionError, VersionedTransaction},
};
use solana_transaction_status::{InnerInstruction, InnerInstructions, TransactionStatusMeta};
use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{SystemTime, UNIX_EPOCH},
};

/// What happened in the node, in order, for whoever listens ([`Node::events`]): PubSub.
#[derive(Clone, Debug)]
pub enum NodeEvent {
    /// A transaction passed verification and is about to execute in `slot`.
    Received { slot: Slot, signature: Signature },
    /// A transaction executed and was committed in the working bank.
    Landed(Arc<LandedEvent>),
    /// Accounts written outside a transaction (test methods, the Clock when warped).
    AccountsStored { slot: Slot, keys: Vec<Pubkey> },
    /// `closed` was frozen and rooted; `opened` is the new working slot.
    SlotAdvanced { closed: Slot, opened: Slot },
}

#[derive(Debug)]
pub struct LandedEvent {
    pub slot: Slot,
    pub signature: Signature,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    /// Every account the transaction names.
    pub keys: Vec<Pubkey>,
    /// The accounts it may have changed (just the fee payer when it failed).
    pub written: Vec<Pubkey>,
    pub is_vote: bool,
}

/// Result of `send`: what the RPC layer needs to answer like a validator.
pub enum SendOutcome {
    Landed(Signature),
    /// The transaction could not be loaded (bad blockhash, fee payer cannot pay, duplicate):
    /// a validator drops it silently, so it never gets a status.
    Dropped(Signature, TransactionError),
}

/// Where the Clock sysvar's `unix_timestamp` comes from at each new slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockSource {
    /// Wall clock plus the warp offset, like a validator (the binary).
    Wall,
    /// This fixed timestamp plus the warp offset: time moves only when warped, so tests that
    /// count seconds are deterministic (the test harness).
    Fixed(i64),
}

impl ClockSource {
    fn base(self) -> i64 {
        match self {
            ClockSource::Wall => wall_clock_secs(),
            ClockSource::Fixed(start) => start,
        }
    }
}

pub struct Node {
    bank_forks: Arc<RwLock<BankForks>>,
    /// Serialises transaction execution with slot advancement: a bank is never frozen while a
    /// transaction executes in it.
    exec: Mutex<()>,
    history: RwLock<History>,
    events: Mutex<Vec<crossbeam_channel::Sender<NodeEvent>>>,
    faucet: Keypair,
    genesis_hash: Hash,
    collector: Pubkey,
    clock_source: ClockSource,
    /// Seconds added to the clock source when the Clock sysvar is written (test warps).
    clock_offset: AtomicI64,
    /// Where snapshots go (`--ledger`); none: the chain lives in memory only.
    ledger: Option<Ledger>,
}

fn wall_clock_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A new chain's genesis: its config, the faucet, the validator identity and bank 0 with SPL
/// Token, Token-2022, Associated Token and Memo as their SBF binaries and perp_pool as a native
/// builtin behind `native`'s adapter, its accounts stored under `paths` (temporary if empty).
fn genesis_bank(
    perp_pool_id: Pubkey,
    creation_time: i64,
    paths: Vec<std::path::PathBuf>,
) -> (GenesisConfig, Keypair, Pubkey, Bank) {
    let faucet = Keypair::new();
    let rent = Rent::default();
    // The validator's identity, vote and stake accounts: fresh keys, as a new validator's.
    let validator = Keypair::new().pubkey();
    let fee_rate_governor = FeeRateGovernor {
        lamports_per_signature: DEFAULT_TARGET_LAMPORTS_PER_SIGNATURE / 2,
        ..FeeRateGovernor::default()
    };
    let mut genesis: GenesisConfig = create_genesis_config_with_leader_ex(
        sol_to_lamports(1_000_000_000.0),
        &faucet.pubkey(),
        &validator,
        &Keypair::new().pubkey(),
        &Keypair::new().pubkey(),
        rent.minimum_balance(solana_sdk::vote::state::VoteState::size_of())
            + sol_to_lamports(1_000_000.0),
        // The fee collector must be rent-exempt, or the runtime burns every fee it collects.
        sol_to_lamports(1.0),
        fee_rate_governor,
        rent,
        ClusterType::Development,
        vec![],
    );
    genesis.creation_time = creation_time;
    let mut bank = Bank::new_with_paths(
        &genesis,
        Arc::new(RuntimeConfig::default()),
        paths,
        None,
        None,
        Default::default(),
        Default::default(),
        false,
        None,
        None,
        None,
        Arc::default(),
    );
    for (program_id, account) in solana_program_test::programs::spl_programs(&rent) {
        bank.store_account(&program_id, &account);
    }
    bank.add_builtin(
        perp_pool_id,
        "perp_pool".to_string(),
        native::perp_pool_builtin(),
    );
    bank.set_capitalization();
    (genesis, faucet, validator, bank)
}

impl Node {
    /// The node the binary runs without a ledger: perp_pool at `perp_pool_id`, wall clock.
    pub fn new(perp_pool_id: Pubkey) -> Self {
        Self::with_clock(perp_pool_id, ClockSource::Wall)
    }

    /// A new chain in memory (slot 1 open, genesis closed).
    pub fn with_clock(perp_pool_id: Pubkey, clock_source: ClockSource) -> Self {
        let (genesis, faucet, validator, bank) =
            genesis_bank(perp_pool_id, clock_source.base(), Vec::new());
        Self::from_genesis(genesis.hash(), faucet, validator, bank, clock_source, None)
    }

    /// The binary's node with a ledger directory: the chain saved there when there is one (see
    /// [`crate::persist`]), else a new chain whose genesis is saved there.
    pub fn with_ledger(
        perp_pool_id: Pubkey,
        mut ledger: Ledger,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let builtin = native::perp_pool_prototype(perp_pool_id);
        if let Some(restored) = ledger.restore(&[builtin])? {
            let slot = restored.bank.slot();
            let collector = *restored.bank.collector_id();
            let bank_forks = BankForks::new_rw_arc(restored.bank);
            let root = bank_forks
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .root_bank();
            let child = Bank::new_from_parent(root, &collector, slot + 1);
            bank_forks
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(child);
            let node = Node {
                bank_forks,
                exec: Mutex::new(()),
                history: RwLock::new(restored.history),
                events: Mutex::new(Vec::new()),
                faucet: restored.faucet,
                genesis_hash: restored.genesis.hash(),
                collector,
                clock_source: ClockSource::Wall,
                clock_offset: AtomicI64::new(restored.clock_offset),
                ledger: Some(ledger),
            };
            node.write_clock(&node.bank());
            return Ok(node);
        }
        let paths = ledger.fresh_account_paths()?;
        let (genesis, faucet, validator, bank) =
            genesis_bank(perp_pool_id, ClockSource::Wall.base(), paths);
        ledger.save_genesis(&genesis, &faucet)?;
        Ok(Self::from_genesis(
            genesis.hash(),
            faucet,
            validator,
            bank,
            ClockSource::Wall,
            Some(ledger),
        ))
    }

    /// Closes the genesis slot and opens slot 1.
    fn from_genesis(
        genesis_hash: Hash,
        faucet: Keypair,
        validator: Pubkey,
        bank: Bank,
        clock_source: ClockSource,
        ledger: Option<Ledger>,
    ) -> Self {
        let bank = Arc::new(bank);
        bank.fill_bank_with_ticks_for_tests();
        bank.freeze();
        let mut history = History::default();
        history.close_block(block_record(&bank, genesis_hash));
        let child = Bank::new_from_parent(bank, &validator, 1);
        let node = Node {
            bank_forks: BankForks::new_rw_arc(child),
            exec: Mutex::new(()),
            history: RwLock::new(history),
            events: Mutex::new(Vec::new()),
            faucet,
            genesis_hash,
            collector: validator,
            clock_source,
            clock_offset: AtomicI64::new(0),
            ledger,
        };
        node.write_clock(&node.bank());
        node
    }

    /// Snapshots the newest closed slot into the ledger directory, if the node has one. With
    /// `close_working_slot`, closes the working slot first so every landed transaction is in it
    /// (a clean shutdown).
    pub fn snapshot(
        &self,
        close_working_slot: bool,
    ) -> Result<Option<Slot>, Box<dyn std::error::Error + Send + Sync>> {
        if self.ledger.is_none() {
            return Ok(None);
        }
        if close_working_slot {
            self.advance_slot();
        }
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        let Some(ledger) = &self.ledger else {
            return Ok(None);
        };
        let bank = self.finalized_bank();
        let history = self.history();
        let offset = self.clock_offset.load(Ordering::SeqCst);
        ledger.snapshot(&bank, &history, offset).map(Some)
    }

    /// The newest snapshot's slot (`getHighestSnapshotSlot`).
    pub fn highest_snapshot_slot(&self) -> Option<Slot> {
        self.ledger.as_ref()?.highest_snapshot_slot()
    }

    /// The working (unfrozen) bank: where transactions execute and what reads see.
    pub fn bank(&self) -> Arc<Bank> {
        self.bank_forks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .working_bank()
    }

    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// The newest frozen root: what `finalized` reads. Until the first slot closes that is the
    /// genesis bank.
    pub fn finalized_bank(&self) -> Arc<Bank> {
        let root = self
            .bank_forks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .root_bank();
        match root.parent() {
            Some(parent) if !root.is_frozen() => parent,
            _ => root,
        }
    }

    pub fn root_slot(&self) -> Slot {
        self.finalized_bank().slot()
    }

    /// The bank a read at `commitment` sees. Slots are rooted as they close, so `processed` and
    /// `confirmed` are the working bank (a landed transaction is confirmed at once) and
    /// `finalized` the newest closed slot.
    pub fn bank_at(&self, commitment: CommitmentConfig) -> Arc<Bank> {
        if commitment.is_finalized() {
            self.finalized_bank()
        } else {
            self.bank()
        }
    }

    /// Receives every [`NodeEvent`] from now on.
    pub fn events(&self) -> crossbeam_channel::Receiver<NodeEvent> {
        let (sender, receiver) = crossbeam_channel::unbounded();
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sender);
        receiver
    }

    /// Sends `event` to every listener (callers hold `exec`, so events are in order).
    fn emit(&self, event: NodeEvent) {
        let mut senders = self.events.lock().unwrap_or_else(|e| e.into_inner());
        senders.retain(|s| s.send(event.clone()).is_ok());
    }

    pub fn push_perf_sample(&self, sample: solana_rpc_client_api::response::RpcPerfSample) {
        self.history
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push_perf_sample(sample);
    }

    pub fn history(&self) -> std::sync::RwLockReadGuard<'_, History> {
        self.history.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Clock sysvar = clock source + test offset, so `unix_timestamp` behaves like a
    /// validator's (wall clock) or only moves when warped (fixed).
    fn write_clock(&self, bank: &Bank) {
        let mut clock: Clock = bank.clock();
        clock.unix_timestamp = self.clock_source.base() + self.clock_offset.load(Ordering::SeqCst);
        bank.set_sysvar_for_tests(&clock);
    }

    /// Closes the working slot (new blockhash, frozen, rooted) and opens the next one.
    pub fn advance_slot(&self) {
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        let bank = self.bank();
        let previous_blockhash = bank.last_blockhash();
        bank.fill_bank_with_ticks_for_tests();
        bank.freeze();
        let slot = bank.slot();
        self.history
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .close_block(block_record(&bank, previous_blockhash));
        let child = Bank::new_from_parent(bank, &self.collector, slot + 1);
        self.write_clock(&child);
        let mut forks = self.bank_forks.write().unwrap_or_else(|e| e.into_inner());
        forks.insert(child);
        let (sender, receiver) = crossbeam_channel::unbounded();
        forks.set_root(slot, &AbsRequestSender::new(sender), Some(slot));
        // No background service runs here: answer epoch-accounts-hash requests at once so a
        // later freeze never waits for a calculation nobody performs.
        for request in receiver.try_iter() {
            if request.request_kind == SnapshotRequestKind::EpochAccountsHash {
                request
                    .snapshot_root_bank
                    .rc
                    .accounts
                    .accounts_db
                    .epoch_accounts_hash_manager
                    .set_valid(
                        EpochAccountsHash::new(Hash::new_unique()),
                        request.snapshot_root_bank.slot(),
                    );
            }
        }
        drop(forks);
        self.emit(NodeEvent::SlotAdvanced {
            closed: slot,
            opened: slot + 1,
        });
    }

    /// Moves the Clock sysvar forward (test extension). Applies to the working bank now and to
    /// every later slot.
    pub fn warp_clock(&self, seconds: i64) -> i64 {
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
        let bank = self.bank();
        self.write_clock(&bank);
        self.emit(NodeEvent::AccountsStored {
            slot: bank.slot(),
            keys: vec![solana_sdk::sysvar::clock::id()],
        });
        bank.clock().unix_timestamp
    }

    pub fn set_account(&self, pubkey: &Pubkey, account: &AccountSharedData) {
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        let bank = self.bank();
        bank.store_account(pubkey, account);
        self.emit(NodeEvent::AccountsStored {
            slot: bank.slot(),
            keys: vec![*pubkey],
        });
    }

    pub fn verify(
        &self,
        bank: &Bank,
        tx: VersionedTransaction,
        sig_verify: bool,
    ) -> Result<SanitizedTransaction, TransactionError> {
        if sig_verify {
            bank.fully_verify_transaction(tx)
        } else {
            bank.verify_transaction(
                tx,
                solana_sdk::transaction::TransactionVerificationMode::HashOnly,
            )
        }
    }

    /// Simulates in the working bank.
    pub fn simulate(&self, tx: &SanitizedTransaction) -> (Slot, TransactionSimulationResult) {
        self.simulate_in(&self.bank(), tx)
    }

    /// Simulates in `bank` (the working bank or a frozen one, per the caller's commitment).
    pub fn simulate_in(
        &self,
        bank: &Bank,
        tx: &SanitizedTransaction,
    ) -> (Slot, TransactionSimulationResult) {
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        let result = bank.simulate_transaction_unchecked(tx, true);
        (bank.slot(), result)
    }

    /// Executes and commits one transaction in the working bank.
    pub fn send(&self, tx: VersionedTransaction) -> Result<SendOutcome, TransactionError> {
        let _guard = self.exec.lock().unwrap_or_else(|e| e.into_inner());
        let bank = self.bank();
        let sanitized = bank.fully_verify_transaction(tx.clone())?;
        let signature = *sanitized.signature();
        self.emit(NodeEvent::Received {
            slot: bank.slot(),
            signature,
        });
        let token_pre = token_balances(&bank, &sanitized);
        let fee = bank
            .get_fee_for_message(sanitized.message())
            .unwrap_or_default();
        let batch = bank.prepare_sanitized_batch(std::slice::from_ref(&sanitized));
        let (results, balances) = bank.load_execute_and_commit_transactions(
            &batch,
            MAX_PROCESSING_AGE,
            true,
            true,
            true,
            true,
            &mut ExecuteTimings::default(),
            None,
        );
        drop(batch);
        let result = results.execution_results.into_iter().next();
        let details = match result {
            Some(TransactionExecutionResult::Executed { details, .. }) => details,
            Some(TransactionExecutionResult::NotExecuted(err)) => {
                return Ok(SendOutcome::Dropped(signature, err))
            }
            None => {
                return Ok(SendOutcome::Dropped(
                    signature,
                    TransactionError::SanitizeFailure,
                ))
            }
        };
        let token_post = token_balances(&bank, &sanitized);
        let meta = TransactionStatusMeta {
            status: details.status,
            fee,
            pre_balances: balances.pre_balances.into_iter().next().unwrap_or_default(),
            post_balances: balances
                .post_balances
                .into_iter()
                .next()
                .unwrap_or_default(),
            inner_instructions: details.inner_instructions.map(|list| {
                list.into_iter()
                    .enumerate()
                    .filter(|(_, ixs)| !ixs.is_empty())
                    .map(|(index, ixs)| InnerInstructions {
                        index: index as u8,
                        instructions: ixs
                            .into_iter()
                            .map(|ix| InnerInstruction {
                                instruction: ix.instruction,
                                stack_height: Some(ix.stack_height as u32),
                            })
                            .collect(),
                    })
                    .collect()
            }),
            log_messages: details.log_messages,
            pre_token_balances: Some(token_pre),
            post_token_balances: Some(token_post),
            rewards: Some(vec![]),
            loaded_addresses: sanitized.get_loaded_addresses(),
            return_data: details.return_data,
            compute_units_consumed: Some(details.executed_units),
        };
        let message = sanitized.message();
        let keys: Vec<Pubkey> = message.account_keys().iter().copied().collect();
        let written = if meta.status.is_ok() {
            (0..keys.len())
                .filter(|&i| message.is_writable(i))
                .map(|i| keys[i])
                .collect()
        } else {
            vec![*message.fee_payer()]
        };
        let event = LandedEvent {
            slot: bank.slot(),
            signature,
            err: meta.status.clone().err(),
            logs: meta.log_messages.clone().unwrap_or_default(),
            keys,
            written,
            is_vote: sanitized.is_simple_vote_transaction(),
        };
        let landed = LandedTransaction {
            slot: bank.slot(),
            block_time: bank.clock().unix_timestamp,
            transaction: sanitized.to_versioned_transaction(),
            meta,
        };
        self.history
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .record(landed);
        self.emit(NodeEvent::Landed(Arc::new(event)));
        Ok(SendOutcome::Landed(signature))
    }

    pub fn landed(&self, signature: &Signature) -> Option<Arc<LandedTransaction>> {
        self.history().transaction(signature)
    }

    /// Sends lamports from the genesis faucet, as a real transfer transaction.
    pub fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Signature, TransactionError> {
        let blockhash = self.bank().last_blockhash();
        let tx = system_transaction::transfer(&self.faucet, to, lamports, blockhash);
        match self.send(tx.into())? {
            SendOutcome::Landed(sig) => match self.landed(&sig).map(|l| l.meta.status.clone()) {
                Some(Err(err)) => Err(err),
                _ => Ok(sig),
            },
            SendOutcome::Dropped(_, err) => Err(err),
        }
    }
}
