//! The PubSub websocket server: one task per connection reading JSON-RPC requests, one writer
//! task per connection draining its queue of replies and notifications.
//!
//! Built on tokio-tungstenite (already in the dependency tree through solana-pubsub-client, on
//! the tokio runtime the HTTP server uses) and jsonrpc-core's `MetaIoHandler`, the request layer
//! the validator's own PubSub service uses (it pairs it with soketto): jsonrpc-core parses and
//! answers requests, batches and errors exactly like the validator, and the methods read typed
//! parameters. jsonrpc-pubsub / jsonrpc-ws-server were not used: unmaintained since 2021, and
//! the validator itself stopped using them in 1.8.

use super::{Kind, Level, LogsFilter, PubSub, Sink, Subscription, SubscriptionId};
use crate::rpc::accounts::verify_filters;
use futures_util::{SinkExt, StreamExt};
use jsonrpc_core::{Error, ErrorCode, MetaIoHandler, Metadata, Params, Value};
use serde::de::DeserializeOwned;
use solana_account_decoder::UiAccountEncoding;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig,
    RpcTransactionLogsConfig, RpcTransactionLogsFilter,
};
use solana_sdk::{commitment_config::CommitmentConfig, pubkey::Pubkey, signature::Signature};
use std::{
    str::FromStr,
    sync::{Arc, Mutex},
};
use tokio::{net::TcpListener, sync::mpsc};
use tokio_tungstenite::tungstenite::Message;

/// One connection, as the methods see it.
#[derive(Clone)]
pub struct Session {
    connection: u64,
    sink: Sink,
    pubsub: Arc<PubSub>,
    /// Subscriptions made by the request being answered; live once the reply is queued.
    pending: Arc<Mutex<Vec<(SubscriptionId, Subscription)>>>,
}

impl Metadata for Session {}

impl Session {
    fn subscribe(&self, level: Level, kind: Kind) -> Result<Value, Error> {
        let id = self.pubsub.allocate_id();
        let sub = Subscription {
            connection: self.connection,
            level,
            kind,
            sink: self.sink.clone(),
        };
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, sub));
        Ok(Value::from(id))
    }

    fn activate_pending(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (id, sub) in pending {
            self.pubsub.activate(id, sub);
        }
    }
}

fn level(commitment: Option<CommitmentConfig>) -> Level {
    // A validator's subscriptions default to `finalized`.
    if commitment.unwrap_or_default().is_finalized() {
        Level::Finalized
    } else {
        Level::Now
    }
}

/// Positional parameters into a tuple, missing trailing ones as `null` (jsonrpc-derive's rule
/// for optional parameters), with jsonrpc-core's error text.
fn parse<T: DeserializeOwned>(params: Params, arity: usize) -> Result<T, Error> {
    let mut values = match params {
        Params::Array(values) => values,
        Params::None => vec![],
        Params::Map(_) => return Err(Error::invalid_params("Invalid params: expected an array.")),
    };
    while values.len() < arity {
        values.push(Value::Null);
    }
    Params::Array(values).parse()
}

fn param<T: FromStr>(text: &str, what: &str) -> Result<T, Error> {
    text.parse().map_err(|_| Error {
        code: ErrorCode::InvalidParams,
        message: format!("Invalid Request: Invalid {what} provided"),
        data: None,
    })
}

fn unsubscribe(params: Params, session: Session) -> Result<Value, Error> {
    let (id,): (SubscriptionId,) = parse(params, 1)?;
    if session.pubsub.unsubscribe(session.connection, id) {
        Ok(Value::Bool(true))
    } else {
        Err(Error {
            code: ErrorCode::InvalidParams,
            message: "Invalid subscription id.".into(),
            data: None,
        })
    }
}

type Method = fn(Params, Session) -> Result<Value, Error>;

fn account_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    let (key, config): (String, Option<RpcAccountInfoConfig>) = parse(params, 2)?;
    let config = config.unwrap_or_default();
    let kind = Kind::Account {
        pubkey: param::<Pubkey>(&key, "pubkey")?,
        encoding: config.encoding.unwrap_or(UiAccountEncoding::Binary),
        data_slice: config.data_slice,
        last: Default::default(),
    };
    session.subscribe(level(config.commitment), kind)
}

fn program_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    let (key, config): (String, Option<RpcProgramAccountsConfig>) = parse(params, 2)?;
    let config = config.unwrap_or_default();
    let filters = config.filters.unwrap_or_default();
    verify_filters(&filters).map_err(|e| Error {
        code: ErrorCode::InvalidParams,
        message: e.message,
        data: None,
    })?;
    let kind = Kind::Program {
        program: param::<Pubkey>(&key, "pubkey")?,
        filters,
        encoding: config
            .account_config
            .encoding
            .unwrap_or(UiAccountEncoding::Binary),
        data_slice: config.account_config.data_slice,
    };
    session.subscribe(level(config.account_config.commitment), kind)
}

fn logs_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    let (filter, config): (RpcTransactionLogsFilter, Option<RpcTransactionLogsConfig>) =
        parse(params, 2)?;
    let filter = match filter {
        RpcTransactionLogsFilter::All => LogsFilter::All,
        RpcTransactionLogsFilter::AllWithVotes => LogsFilter::AllWithVotes,
        RpcTransactionLogsFilter::Mentions(keys) => {
            if keys.len() != 1 {
                return Err(Error {
                    code: ErrorCode::InvalidParams,
                    message: "Invalid Request: Only 1 address supported".into(),
                    data: None,
                });
            }
            LogsFilter::Mentions(param::<Pubkey>(&keys[0], "mentions")?)
        }
    };
    session.subscribe(level(config.and_then(|c| c.commitment)), Kind::Logs(filter))
}

fn signature_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    let (sig, config): (String, Option<RpcSignatureSubscribeConfig>) = parse(params, 2)?;
    let config = config.unwrap_or_default();
    let kind = Kind::Signature {
        signature: param::<Signature>(&sig, "signature")?,
        received: config.enable_received_notification.unwrap_or(false),
    };
    session.subscribe(level(config.commitment), kind)
}

fn no_params(params: Params) -> Result<(), Error> {
    match params {
        Params::None => Ok(()),
        Params::Array(a) if a.is_empty() => Ok(()),
        _ => Err(Error::invalid_params("No parameters were expected")),
    }
}

fn slot_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    no_params(params)?;
    session.subscribe(Level::Now, Kind::Slot)
}

fn root_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    no_params(params)?;
    session.subscribe(Level::Now, Kind::Root)
}

fn slots_updates_subscribe(params: Params, session: Session) -> Result<Value, Error> {
    no_params(params)?;
    session.subscribe(Level::Now, Kind::SlotsUpdates)
}

/// The PubSub methods (blockSubscribe and voteSubscribe stay "Method not found", as on a
/// validator started without `--rpc-pubsub-enable-block-subscription` / `...-vote-...`).
pub fn io_handler() -> MetaIoHandler<Session> {
    let mut io = MetaIoHandler::default();
    let methods: [(&str, Method); 14] = [
        ("accountSubscribe", account_subscribe),
        ("accountUnsubscribe", unsubscribe),
        ("programSubscribe", program_subscribe),
        ("programUnsubscribe", unsubscribe),
        ("logsSubscribe", logs_subscribe),
        ("logsUnsubscribe", unsubscribe),
        ("signatureSubscribe", signature_subscribe),
        ("signatureUnsubscribe", unsubscribe),
        ("slotSubscribe", slot_subscribe),
        ("slotUnsubscribe", unsubscribe),
        ("rootSubscribe", root_subscribe),
        ("rootUnsubscribe", unsubscribe),
        ("slotsUpdatesSubscribe", slots_updates_subscribe),
        ("slotsUpdatesUnsubscribe", unsubscribe),
    ];
    for (name, method) in methods {
        io.add_method_with_meta(name, move |params, session: Session| {
            futures_util::future::ready(method(params, session))
        });
    }
    io
}

/// Accepts websocket connections on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, pubsub: Arc<PubSub>) {
    let io = Arc::new(io_handler());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, pubsub.clone(), io.clone()));
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    pubsub: Arc<PubSub>,
    io: Arc<MetaIoHandler<Session>>,
) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut write, mut read) = ws.split();
    let (sink, mut queue) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(text) = queue.recv().await {
            if write.send(Message::Text(text)).await.is_err() {
                break;
            }
        }
    });
    let session = Session {
        connection: pubsub.new_connection(),
        sink,
        pubsub: pubsub.clone(),
        pending: Default::default(),
    };
    while let Some(Ok(message)) = read.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => break,
            _ => continue,
        };
        if let Some(reply) = io.handle_request(&text, session.clone()).await {
            let _ = session.sink.send(reply);
        }
        session.activate_pending();
    }
    pubsub.drop_connection(session.connection);
    drop(session);
    let _ = writer.await;
}
