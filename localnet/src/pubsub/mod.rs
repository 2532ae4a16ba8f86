//! Solana PubSub over websocket, like a validator's (RPC port + 1 by default): account, program,
//! logs, signature, slot, root and slotsUpdates subscriptions with the official notification
//! formats (`{"context": {"slot"}, "value"}`), encodings and commitment.
//!
//! The node emits [`NodeEvent`]s in execution order; one notifier thread ([`PubSub::run`]) turns
//! them into notifications for the registered subscriptions and pushes the JSON text onto each
//! connection's queue, which the connection's writer task drains ([`service`]). Commitment: at
//! `processed`/`confirmed` a transaction notifies as soon as it is committed (it is confirmed at
//! once, see [`crate::node::Node::bank_at`]); at `finalized` when its slot closes. Account
//! subscriptions are also compared against their bank at every slot, so changes made outside a
//! transaction (sysvars, test methods) notify too.

use crate::node::{LandedEvent, Node, NodeEvent};
use crate::rpc::params::encode_ui_account;
use serde::Serialize;
use serde_json::json;
use solana_account_decoder::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_api::{
    filter::RpcFilterType,
    response::{
        ProcessedSignatureResult, ReceivedSignatureResult, RpcKeyedAccount, RpcLogsResponse,
        RpcSignatureResult, SlotInfo, SlotTransactionStats, SlotUpdate,
    },
};
use solana_runtime::bank::Bank;
use solana_sdk::{
    account::{AccountSharedData, ReadableAccount},
    clock::Slot,
    pubkey::Pubkey,
    signature::Signature,
    timing::timestamp,
};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::sync::mpsc::UnboundedSender;

pub mod service;

pub type SubscriptionId = u64;
/// A connection's outgoing queue of JSON texts.
pub type Sink = UnboundedSender<String>;

/// When a subscription hears of a change: `processed`/`confirmed` (at once) or `finalized`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Now,
    Finalized,
}

pub enum LogsFilter {
    All,
    AllWithVotes,
    Mentions(Pubkey),
}

pub enum Kind {
    Account {
        pubkey: Pubkey,
        encoding: UiAccountEncoding,
        data_slice: Option<UiDataSliceConfig>,
        /// What was last notified (or seen at subscription), to notify changes only.
        last: AccountSharedData,
    },
    Program {
        program: Pubkey,
        filters: Vec<RpcFilterType>,
        encoding: UiAccountEncoding,
        data_slice: Option<UiDataSliceConfig>,
    },
    Logs(LogsFilter),
    Signature {
        signature: Signature,
        received: bool,
    },
    Slot,
    Root,
    SlotsUpdates,
}

pub struct Subscription {
    pub connection: u64,
    pub level: Level,
    pub kind: Kind,
    pub sink: Sink,
}

#[derive(Default)]
struct Registry {
    next_id: SubscriptionId,
    subs: HashMap<SubscriptionId, Subscription>,
    by_account: HashMap<Pubkey, Vec<SubscriptionId>>,
    by_signature: HashMap<Signature, Vec<SubscriptionId>>,
}

impl Registry {
    fn index_key(kind: &Kind) -> (Option<Pubkey>, Option<Signature>) {
        match kind {
            Kind::Account { pubkey, .. } => (Some(*pubkey), None),
            Kind::Signature { signature, .. } => (None, Some(*signature)),
            _ => (None, None),
        }
    }

    fn remove(&mut self, id: SubscriptionId) -> Option<Subscription> {
        let sub = self.subs.remove(&id)?;
        let (account, signature) = Self::index_key(&sub.kind);
        if let Some(key) = account {
            if let Some(ids) = self.by_account.get_mut(&key) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.by_account.remove(&key);
                }
            }
        }
        if let Some(sig) = signature {
            if let Some(ids) = self.by_signature.get_mut(&sig) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.by_signature.remove(&sig);
                }
            }
        }
        Some(sub)
    }
}

/// `{"jsonrpc":"2.0","method":...,"params":{"result":...,"subscription":id}}`.
fn notification(method: &str, id: SubscriptionId, result: impl Serialize) -> String {
    json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": {"result": result, "subscription": id},
    })
    .to_string()
}

fn with_context(slot: Slot, value: impl Serialize) -> serde_json::Value {
    json!({"context": {"slot": slot}, "value": value})
}

/// The subscriptions of every connection, and the notifier that serves them.
pub struct PubSub {
    node: Arc<Node>,
    registry: Mutex<Registry>,
    next_connection: std::sync::atomic::AtomicU64,
}

/// Work kept until a slot is rooted, for `finalized` subscriptions.
#[derive(Default)]
struct Unrooted {
    landed: Vec<Arc<LandedEvent>>,
    stored: Vec<Pubkey>,
}

impl PubSub {
    pub fn new(node: Arc<Node>) -> Arc<Self> {
        Arc::new(PubSub {
            node,
            registry: Mutex::new(Registry::default()),
            next_connection: Default::default(),
        })
    }

    /// Starts the notifier thread.
    pub fn start(self: &Arc<Self>) {
        let events = self.node.events();
        let pubsub = self.clone();
        std::thread::Builder::new()
            .name("pubsub-notifier".into())
            .spawn(move || pubsub.run(events))
            .expect("spawn pubsub notifier");
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    pub fn new_connection(&self) -> u64 {
        self.next_connection
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A fresh subscription id (ids are global, from 0, like the validator's).
    pub fn allocate_id(&self) -> SubscriptionId {
        let mut registry = self.registry();
        let id = registry.next_id;
        registry.next_id += 1;
        id
    }

    pub fn subscription_count(&self) -> usize {
        self.registry().subs.len()
    }

    /// Makes a subscription live (after its id was sent to the client, so no notification can
    /// overtake the reply). A signature already at the asked commitment is notified at once.
    pub fn activate(&self, id: SubscriptionId, mut sub: Subscription) {
        let mut registry = self.registry();
        match &mut sub.kind {
            Kind::Signature { signature, .. } => {
                if let Some(landed) = self.node.landed(signature) {
                    let root = self.node.root_slot();
                    if sub.level == Level::Now || landed.slot <= root {
                        let value =
                            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
                                err: landed.meta.status.clone().err(),
                            });
                        let text = notification(
                            "signatureNotification",
                            id,
                            with_context(landed.slot, value),
                        );
                        let _ = sub.sink.send(text);
                        return;
                    }
                }
                registry
                    .by_signature
                    .entry(*signature)
                    .or_default()
                    .push(id);
            }
            Kind::Account { pubkey, last, .. } => {
                *last = self
                    .bank_for(sub.level)
                    .get_account(pubkey)
                    .unwrap_or_default();
                registry.by_account.entry(*pubkey).or_default().push(id);
            }
            _ => {}
        }
        registry.subs.insert(id, sub);
    }

    /// Removes one of `connection`'s subscriptions; false when it has none with that id.
    pub fn unsubscribe(&self, connection: u64, id: SubscriptionId) -> bool {
        let mut registry = self.registry();
        match registry.subs.get(&id) {
            Some(sub) if sub.connection == connection => registry.remove(id).is_some(),
            _ => false,
        }
    }

    pub fn drop_connection(&self, connection: u64) {
        let mut registry = self.registry();
        let ids: Vec<_> = registry
            .subs
            .iter()
            .filter(|(_, s)| s.connection == connection)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            registry.remove(id);
        }
    }

    fn bank_for(&self, level: Level) -> Arc<Bank> {
        match level {
            Level::Now => self.node.bank(),
            Level::Finalized => self.node.finalized_bank(),
        }
    }

    fn run(&self, events: crossbeam_channel::Receiver<NodeEvent>) {
        let mut unrooted: BTreeMap<Slot, Unrooted> = BTreeMap::new();
        for event in events {
            match event {
                NodeEvent::Received { slot, signature } => self.notify_received(slot, &signature),
                NodeEvent::Landed(landed) => {
                    self.notify_landed(Level::Now, &landed, &self.node.bank());
                    unrooted.entry(landed.slot).or_default().landed.push(landed);
                }
                NodeEvent::AccountsStored { slot, keys } => {
                    self.notify_written(Level::Now, &keys, &self.node.bank());
                    unrooted.entry(slot).or_default().stored.extend(keys);
                }
                NodeEvent::SlotAdvanced { closed, opened } => {
                    let root_bank = self.node.finalized_bank();
                    let later = unrooted.split_off(&(closed + 1));
                    for (_, work) in std::mem::replace(&mut unrooted, later) {
                        for landed in &work.landed {
                            self.notify_landed(Level::Finalized, landed, &root_bank);
                        }
                        self.notify_written(Level::Finalized, &work.stored, &root_bank);
                    }
                    self.sweep_accounts(Level::Finalized, &root_bank);
                    self.sweep_accounts(Level::Now, &self.node.bank());
                    self.notify_slot(closed, opened);
                }
            }
        }
    }

    /// Sends `text_for(id, sub)` to every subscription `select`ed.
    fn broadcast(
        &self,
        select: impl Fn(&Subscription) -> bool,
        text_for: impl Fn(SubscriptionId, &Subscription) -> Option<String>,
    ) {
        let registry = self.registry();
        for (id, sub) in registry.subs.iter().filter(|(_, s)| select(s)) {
            if let Some(text) = text_for(*id, sub) {
                let _ = sub.sink.send(text);
            }
        }
    }

    fn notify_received(&self, slot: Slot, signature: &Signature) {
        let registry = self.registry();
        for id in registry.by_signature.get(signature).into_iter().flatten() {
            if let Some(sub) = registry.subs.get(id) {
                if matches!(sub.kind, Kind::Signature { received: true, .. }) {
                    let value = RpcSignatureResult::ReceivedSignature(
                        ReceivedSignatureResult::ReceivedSignature,
                    );
                    let text =
                        notification("signatureNotification", *id, with_context(slot, value));
                    let _ = sub.sink.send(text);
                }
            }
        }
    }

    fn notify_landed(&self, level: Level, landed: &LandedEvent, bank: &Bank) {
        // Signatures: notified once, then the subscription ends (as on a validator).
        {
            let mut registry = self.registry();
            let ids: Vec<_> = registry
                .by_signature
                .get(&landed.signature)
                .cloned()
                .unwrap_or_default();
            for id in ids {
                if registry.subs.get(&id).map(|s| s.level) != Some(level) {
                    continue;
                }
                if let Some(sub) = registry.remove(id) {
                    let value = RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
                        err: landed.err.clone(),
                    });
                    let text = notification(
                        "signatureNotification",
                        id,
                        with_context(landed.slot, value),
                    );
                    let _ = sub.sink.send(text);
                }
            }
        }
        let logs = RpcLogsResponse {
            signature: landed.signature.to_string(),
            err: landed.err.clone(),
            logs: landed.logs.clone(),
        };
        let value = with_context(landed.slot, &logs);
        self.broadcast(
            |s| {
                s.level == level
                    && match &s.kind {
                        Kind::Logs(LogsFilter::All) => !landed.is_vote,
                        Kind::Logs(LogsFilter::AllWithVotes) => true,
                        Kind::Logs(LogsFilter::Mentions(key)) => landed.keys.contains(key),
                        _ => false,
                    }
            },
            |id, _| Some(notification("logsNotification", id, &value)),
        );
        self.notify_written(level, &landed.written, bank);
    }

    /// Account and program subscriptions at `level` on the `keys` just written.
    fn notify_written(&self, level: Level, keys: &[Pubkey], bank: &Bank) {
        if keys.is_empty() {
            return;
        }
        let accounts: Vec<(Pubkey, AccountSharedData)> = keys
            .iter()
            .map(|k| (*k, bank.get_account(k).unwrap_or_default()))
            .collect();
        let mut registry = self.registry();
        let registry = &mut *registry;
        for (key, account) in &accounts {
            for id in registry.by_account.get(key).into_iter().flatten() {
                let Some(sub) = registry.subs.get_mut(id) else {
                    continue;
                };
                if sub.level == level {
                    notify_account(*id, sub, key, account, bank);
                }
            }
        }
        for (id, sub) in registry.subs.iter() {
            let Kind::Program {
                program,
                filters,
                encoding,
                data_slice,
            } = &sub.kind
            else {
                continue;
            };
            if sub.level != level {
                continue;
            }
            for (key, account) in &accounts {
                if account.owner() == program && filters.iter().all(|f| f.allows(account)) {
                    let value = RpcKeyedAccount {
                        pubkey: key.to_string(),
                        account: encode_ui_account(bank, key, account, *encoding, *data_slice),
                    };
                    let text =
                        notification("programNotification", *id, with_context(bank.slot(), value));
                    let _ = sub.sink.send(text);
                }
            }
        }
    }

    /// Every account subscription at `level` whose account differs from what it last heard.
    fn sweep_accounts(&self, level: Level, bank: &Bank) {
        let mut registry = self.registry();
        for (id, sub) in registry.subs.iter_mut() {
            if sub.level != level {
                continue;
            }
            if let Kind::Account { pubkey, .. } = &sub.kind {
                let key = *pubkey;
                let account = bank.get_account(&key).unwrap_or_default();
                notify_account(*id, sub, &key, &account, bank);
            }
        }
    }

    fn notify_slot(&self, closed: Slot, opened: Slot) {
        let root = closed;
        let info = SlotInfo {
            slot: opened,
            parent: closed,
            root,
        };
        let now = timestamp();
        let (ok, failed) = {
            let history = self.node.history();
            history.block(closed).map_or((0, 0), |block| {
                let ok = block
                    .transactions
                    .iter()
                    .filter(|&&i| history.transaction_at(i).meta.status.is_ok())
                    .count() as u64;
                (ok, block.transactions.len() as u64 - ok)
            })
        };
        let stats = SlotTransactionStats {
            num_transaction_entries: ok + failed,
            num_successful_transactions: ok,
            num_failed_transactions: failed,
            max_transactions_per_entry: 1,
        };
        let updates = [
            SlotUpdate::Frozen {
                slot: closed,
                timestamp: now,
                stats,
            },
            SlotUpdate::Root {
                slot: closed,
                timestamp: now,
            },
            SlotUpdate::CreatedBank {
                slot: opened,
                parent: closed,
                timestamp: now,
            },
        ];
        let registry = self.registry();
        for (id, sub) in registry.subs.iter() {
            match sub.kind {
                Kind::Slot => {
                    let _ = sub.sink.send(notification("slotNotification", *id, info));
                }
                Kind::Root => {
                    let _ = sub.sink.send(notification("rootNotification", *id, root));
                }
                Kind::SlotsUpdates => {
                    for update in &updates {
                        let _ =
                            sub.sink
                                .send(notification("slotsUpdatesNotification", *id, update));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Notifies an account subscription when `account` differs from what it last sent.
fn notify_account(
    id: SubscriptionId,
    sub: &mut Subscription,
    key: &Pubkey,
    account: &AccountSharedData,
    bank: &Bank,
) {
    let Kind::Account {
        encoding,
        data_slice,
        last,
        ..
    } = &mut sub.kind
    else {
        return;
    };
    if solana_sdk::account::accounts_equal(last, account) {
        return;
    }
    *last = account.clone();
    let value = encode_ui_account(bank, key, account, *encoding, *data_slice);
    let text = notification("accountNotification", id, with_context(bank.slot(), value));
    let _ = sub.sink.send(text);
}
