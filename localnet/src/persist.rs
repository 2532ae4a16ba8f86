//! The ledger directory (`--ledger DIR`): what a stopped node needs to continue where it was.
//! docs/adr/0002-pubsub-history-persistence.md explains the design; in short:
//!
//! - `genesis.bin` (the validator's file, [`GenesisConfig::write`]) and `faucet-keypair.json`;
//! - `accounts/`: the accounts-db's storage (`run/`, `snapshot/`), so snapshots hard-link it;
//! - `snapshot-<slot>-<hash>.tar.zst`: full snapshot archives of the newest rooted bank, made by
//!   the runtime's own `bank_to_full_snapshot_archive` (accounts, blockhash queue, status cache,
//!   sysvars, epoch stakes: the bank exactly) and read back by `bank_from_snapshot_archives`, as
//!   a validator restarts from its snapshot; the two newest are kept;
//! - `history.bin`: the landed transactions, blocks, performance samples and clock offset up to
//!   the same slot (bincode), written before the archive through a temporary file and a rename,
//!   and read back only up to the slot of the archive restored.
//!
//! A snapshot is taken every `--snapshot-interval-slots` and on a clean shutdown (SIGINT,
//! SIGTERM), after the working slot is closed, so nothing confirmed is lost on a clean stop and at
//! most one interval is lost on a crash.

use crate::history::{BlockRecord, History, LandedTransaction};
use solana_account_decoder::parse_token::token_amount_to_ui_amount;
use solana_accounts_db::{
    accounts_db::AccountShrinkThreshold, accounts_index::AccountSecondaryIndexes,
    utils::create_all_accounts_run_and_snapshot_dirs,
};
use solana_rpc_client_api::response::RpcPerfSample;
use solana_runtime::{
    bank::Bank,
    builtins::BuiltinPrototype,
    runtime_config::RuntimeConfig,
    snapshot_bank_utils::{bank_from_snapshot_archives, bank_to_full_snapshot_archive},
    snapshot_utils::{
        get_highest_full_snapshot_archive_info, get_highest_full_snapshot_archive_slot,
        ArchiveFormat, DEFAULT_MAX_FULL_SNAPSHOT_ARCHIVES_TO_RETAIN,
        DEFAULT_MAX_INCREMENTAL_SNAPSHOT_ARCHIVES_TO_RETAIN,
    },
};
use solana_sdk::{
    clock::Slot,
    genesis_config::GenesisConfig,
    instruction::CompiledInstruction,
    message::v0::LoadedAddresses,
    signature::{read_keypair_file, write_keypair_file, Keypair},
    transaction::{TransactionError, VersionedTransaction},
    transaction_context::TransactionReturnData,
};
use solana_transaction_status::{
    InnerInstruction, InnerInstructions, TransactionStatusMeta, TransactionTokenBalance,
};
use std::{
    collections::{BTreeMap, VecDeque},
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::Arc,
};

const HISTORY_FILE: &str = "history.bin";
const FAUCET_FILE: &str = "faucet-keypair.json";
/// Bumped when the history file's layout changes; an older file is refused, not misread.
const HISTORY_VERSION: u32 = 1;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A token balance as stored: the amount and decimals rebuild the UI amount exactly.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTokenBalance {
    account_index: u8,
    mint: String,
    owner: String,
    program_id: String,
    amount: u64,
    decimals: u8,
}

/// One instruction's inner instructions: (instruction index, [(instruction, stack height)]).
type StoredInner = (u8, Vec<(CompiledInstruction, Option<u32>)>);

/// [`TransactionStatusMeta`] has no serde; this is it field by field (rewards are never paid).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTransaction {
    slot: Slot,
    block_time: i64,
    transaction: VersionedTransaction,
    status: Result<(), TransactionError>,
    fee: u64,
    pre_balances: Vec<u64>,
    post_balances: Vec<u64>,
    inner_instructions: Option<Vec<StoredInner>>,
    log_messages: Option<Vec<String>>,
    pre_token_balances: Option<Vec<StoredTokenBalance>>,
    post_token_balances: Option<Vec<StoredTokenBalance>>,
    loaded_addresses: LoadedAddresses,
    return_data: Option<TransactionReturnData>,
    compute_units_consumed: Option<u64>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredHistory {
    version: u32,
    slot: Slot,
    clock_offset: i64,
    transactions: Vec<StoredTransaction>,
    blocks: Vec<BlockRecord>,
    /// (slot, transactions, slots, period seconds)
    perf_samples: Vec<(Slot, u64, u64, u16)>,
}

fn store_balances(
    balances: &Option<Vec<TransactionTokenBalance>>,
) -> Option<Vec<StoredTokenBalance>> {
    balances.as_ref().map(|list| {
        list.iter()
            .map(|b| StoredTokenBalance {
                account_index: b.account_index,
                mint: b.mint.clone(),
                owner: b.owner.clone(),
                program_id: b.program_id.clone(),
                amount: b.ui_token_amount.amount.parse().unwrap_or_default(),
                decimals: b.ui_token_amount.decimals,
            })
            .collect()
    })
}

fn load_balances(
    balances: Option<Vec<StoredTokenBalance>>,
) -> Option<Vec<TransactionTokenBalance>> {
    balances.map(|list| {
        list.into_iter()
            .map(|b| TransactionTokenBalance {
                account_index: b.account_index,
                mint: b.mint,
                ui_token_amount: token_amount_to_ui_amount(b.amount, b.decimals),
                owner: b.owner,
                program_id: b.program_id,
            })
            .collect()
    })
}

impl From<&LandedTransaction> for StoredTransaction {
    fn from(landed: &LandedTransaction) -> Self {
        let meta = &landed.meta;
        StoredTransaction {
            slot: landed.slot,
            block_time: landed.block_time,
            transaction: landed.transaction.clone(),
            status: meta.status.clone(),
            fee: meta.fee,
            pre_balances: meta.pre_balances.clone(),
            post_balances: meta.post_balances.clone(),
            inner_instructions: meta.inner_instructions.as_ref().map(|list| {
                list.iter()
                    .map(|inner| {
                        let ixs = inner
                            .instructions
                            .iter()
                            .map(|ix| (ix.instruction.clone(), ix.stack_height))
                            .collect();
                        (inner.index, ixs)
                    })
                    .collect()
            }),
            log_messages: meta.log_messages.clone(),
            pre_token_balances: store_balances(&meta.pre_token_balances),
            post_token_balances: store_balances(&meta.post_token_balances),
            loaded_addresses: meta.loaded_addresses.clone(),
            return_data: meta.return_data.clone(),
            compute_units_consumed: meta.compute_units_consumed,
        }
    }
}

impl From<StoredTransaction> for LandedTransaction {
    fn from(stored: StoredTransaction) -> Self {
        let inner_instructions = stored.inner_instructions.map(|list| {
            list.into_iter()
                .map(|(index, ixs)| InnerInstructions {
                    index,
                    instructions: ixs
                        .into_iter()
                        .map(|(instruction, stack_height)| InnerInstruction {
                            instruction,
                            stack_height,
                        })
                        .collect(),
                })
                .collect()
        });
        LandedTransaction {
            slot: stored.slot,
            block_time: stored.block_time,
            transaction: stored.transaction,
            meta: TransactionStatusMeta {
                status: stored.status,
                fee: stored.fee,
                pre_balances: stored.pre_balances,
                post_balances: stored.post_balances,
                inner_instructions,
                log_messages: stored.log_messages,
                pre_token_balances: load_balances(stored.pre_token_balances),
                post_token_balances: load_balances(stored.post_token_balances),
                rewards: Some(vec![]),
                loaded_addresses: stored.loaded_addresses,
                return_data: stored.return_data,
                compute_units_consumed: stored.compute_units_consumed,
            },
        }
    }
}

/// What [`Ledger::restore`] gives back.
pub struct Restored {
    pub genesis: GenesisConfig,
    pub faucet: Keypair,
    pub bank: Bank,
    pub history: History,
    pub clock_offset: i64,
}

/// A ledger directory.
pub struct Ledger {
    dir: PathBuf,
    account_run_dirs: Vec<PathBuf>,
}

impl Ledger {
    /// Opens (creating) `dir`; `reset` first deletes everything in it.
    pub fn open(dir: &Path, reset: bool) -> io::Result<Self> {
        if reset && dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir.join("bank-snapshots"))?;
        Ok(Ledger {
            dir: dir.to_path_buf(),
            account_run_dirs: Vec::new(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn bank_snapshots_dir(&self) -> PathBuf {
        self.dir.join("bank-snapshots")
    }

    /// Fresh accounts-db directories (`accounts/run`, `accounts/snapshot`): the bank's storage.
    pub fn fresh_account_paths(&mut self) -> io::Result<Vec<PathBuf>> {
        let accounts = self.dir.join("accounts");
        if accounts.exists() {
            fs::remove_dir_all(&accounts)?;
        }
        // Created empty first: the accounts-db helper clears it (and warns when it is missing).
        fs::create_dir_all(&accounts)?;
        let (run, _snapshot) = create_all_accounts_run_and_snapshot_dirs(&[accounts])?;
        self.account_run_dirs = run.clone();
        Ok(run)
    }

    /// The slot of the newest full snapshot archive.
    pub fn highest_snapshot_slot(&self) -> Option<Slot> {
        get_highest_full_snapshot_archive_slot(&self.dir)
    }

    /// Writes the genesis config and faucet keypair of a new chain.
    pub fn save_genesis(&self, genesis: &GenesisConfig, faucet: &Keypair) -> Result<(), Error> {
        genesis.write(&self.dir)?;
        write_keypair_file(faucet, self.dir.join(FAUCET_FILE))
            .map_err(|e| format!("write faucet keypair: {e}"))?;
        Ok(())
    }

    /// Snapshots `bank` (frozen, rooted) and the history up to its slot. Callers hold the node's
    /// execution lock, so nothing changes meanwhile.
    pub fn snapshot(
        &self,
        bank: &Bank,
        history: &History,
        clock_offset: i64,
    ) -> Result<Slot, Error> {
        let slot = bank.slot();
        // History first: a crash before the archive is written leaves the previous archive, and
        // the history is read back only up to that archive's slot. So an archive, once it
        // exists (what getHighestSnapshotSlot reports), always has its history.
        self.write_history(slot, history, clock_offset)?;
        bank_to_full_snapshot_archive(
            self.bank_snapshots_dir(),
            bank,
            None,
            &self.dir,
            &self.dir,
            ArchiveFormat::TarZstd,
            DEFAULT_MAX_FULL_SNAPSHOT_ARCHIVES_TO_RETAIN,
            DEFAULT_MAX_INCREMENTAL_SNAPSHOT_ARCHIVES_TO_RETAIN,
        )?;
        // The archive holds the storages; the hard links made for it are no longer needed.
        for run in &self.account_run_dirs {
            if let Some(snapshot) = run.parent().map(|a| a.join("snapshot")) {
                for entry in fs::read_dir(&snapshot)?.flatten() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(slot)
    }

    fn write_history(&self, slot: Slot, history: &History, clock_offset: i64) -> Result<(), Error> {
        let (transactions, blocks, _open) = history.parts();
        let stored = StoredHistory {
            version: HISTORY_VERSION,
            slot,
            clock_offset,
            transactions: transactions
                .iter()
                .filter(|t| t.slot <= slot)
                .map(|t| StoredTransaction::from(&**t))
                .collect(),
            blocks: blocks.range(..=slot).map(|(_, b)| b.clone()).collect(),
            perf_samples: history
                .perf_samples
                .iter()
                .map(|s| {
                    (
                        s.slot,
                        s.num_transactions,
                        s.num_slots,
                        s.sample_period_secs,
                    )
                })
                .collect(),
        };
        let tmp = self.dir.join(format!("{HISTORY_FILE}.tmp"));
        let mut file = io::BufWriter::new(fs::File::create(&tmp)?);
        bincode::serialize_into(&mut file, &stored)?;
        file.flush()?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, self.dir.join(HISTORY_FILE))?;
        Ok(())
    }

    fn read_history(&self, slot: Slot) -> Result<(History, i64), Error> {
        let path = self.dir.join(HISTORY_FILE);
        if !path.exists() {
            return Ok((History::default(), 0));
        }
        let file = io::BufReader::new(fs::File::open(&path)?);
        let stored: StoredHistory = bincode::deserialize_from(file)?;
        if stored.version != HISTORY_VERSION {
            return Err(format!(
                "{}: version {} (expected {HISTORY_VERSION})",
                path.display(),
                stored.version
            )
            .into());
        }
        let transactions = stored
            .transactions
            .into_iter()
            .filter(|t| t.slot <= slot)
            .map(LandedTransaction::from)
            .collect();
        let blocks: BTreeMap<Slot, BlockRecord> = stored
            .blocks
            .into_iter()
            .filter(|b| b.slot <= slot)
            .map(|b| (b.slot, b))
            .collect();
        let samples: VecDeque<RpcPerfSample> = stored
            .perf_samples
            .into_iter()
            .map(|(slot, transactions, slots, period)| RpcPerfSample {
                slot,
                num_transactions: transactions,
                num_non_vote_transactions: Some(transactions),
                num_slots: slots,
                sample_period_secs: period,
            })
            .collect();
        Ok((
            History::from_parts(transactions, blocks, samples),
            stored.clock_offset,
        ))
    }

    /// The chain saved here, or `None` when there is none yet (no genesis or no snapshot).
    pub fn restore(&mut self, builtins: &[BuiltinPrototype]) -> Result<Option<Restored>, Error> {
        let Some(archive) = get_highest_full_snapshot_archive_info(&self.dir) else {
            return Ok(None);
        };
        if !self.dir.join("genesis.bin").exists() {
            return Ok(None);
        }
        let genesis = GenesisConfig::load(&self.dir)?;
        let faucet = read_keypair_file(self.dir.join(FAUCET_FILE))
            .map_err(|e| format!("read faucet keypair: {e}"))?;
        let account_paths = self.fresh_account_paths()?;
        let (bank, _timings) = bank_from_snapshot_archives(
            &account_paths,
            self.bank_snapshots_dir(),
            &archive,
            None,
            &genesis,
            &RuntimeConfig::default(),
            None,
            Some(builtins),
            AccountSecondaryIndexes::default(),
            None,
            AccountShrinkThreshold::default(),
            false,
            false,
            false,
            false,
            None,
            None,
            Arc::default(),
        )?;
        let (history, clock_offset) = self.read_history(bank.slot())?;
        Ok(Some(Restored {
            genesis,
            faucet,
            bank,
            history,
            clock_offset,
        }))
    }
}
