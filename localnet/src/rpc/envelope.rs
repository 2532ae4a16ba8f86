//! Request bodies in, replies out, around jsonrpc-core's `MetaIoHandler`.
//!
//! jsonrpc-core parses nothing itself here: the body is read as JSON first so that this node
//! answers as it always has where jsonrpc-core would not: any JSON value as an id (jsonrpc-core
//! takes only numbers and strings, and drops a whole batch over one odd id), a call without an id
//! answered with `"id": null` (jsonrpc-core takes it for a notification and stays silent), an
//! empty batch refused with -32600 (jsonrpc-core answers nothing), a batch entry that is not an
//! object refused alone, and positional parameters only (-32602 before the method is looked up).
//! Each call then goes to the handler under its index as id, so every reply is matched to its
//! call and carries the id that was sent; method lookup, aliases, the unknown-method error and the
//! methods themselves are jsonrpc-core's.

use super::{methods, params::expected_an_array, Rpc};
use jsonrpc_core::{
    futures::executor::block_on, Call, Error, Id, MetaIoHandler, MethodCall, Output, Params,
    Request, Response, Version,
};
use serde_json::{json, Value};

/// The JSON-RPC service: the methods, and the metadata they run with.
pub struct RpcHandler {
    io: MetaIoHandler<Rpc>,
    rpc: Rpc,
}

/// One call of a body: for the handler, or already answered.
enum Prepared {
    Call(Call),
    Answered(Value),
}

fn failure(id: Value, err: Error) -> Value {
    json!({"jsonrpc": "2.0", "error": err, "id": id})
}

/// The call at `index` of a body, with the id it was sent with.
fn prepare(index: usize, call: Value) -> (Value, Prepared) {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let index_id = Id::Num(index as u64);
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        return (id, Prepared::Call(Call::Invalid { id: index_id }));
    };
    let params = match call.get("params") {
        None | Some(Value::Null) => Params::None,
        Some(Value::Array(values)) => Params::Array(values.clone()),
        Some(_) => {
            let answer = failure(id.clone(), expected_an_array());
            return (id, Prepared::Answered(answer));
        }
    };
    let call = Call::MethodCall(MethodCall {
        jsonrpc: Some(Version::V2),
        method: method.to_string(),
        params,
        id: index_id,
    });
    (id, Prepared::Call(call))
}

impl RpcHandler {
    pub fn new(rpc: Rpc) -> Self {
        let mut io = MetaIoHandler::default();
        methods::register(&mut io);
        RpcHandler { io, rpc }
    }

    /// Answers one body: a single call or a batch.
    pub fn handle_body(&self, body: &[u8]) -> Value {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return failure(Value::Null, Error::parse_error()),
        };
        match request {
            Value::Array(calls) if calls.is_empty() => {
                failure(Value::Null, Error::invalid_request())
            }
            Value::Array(calls) => Value::Array(self.answer(calls)),
            call => self.answer(vec![call]).pop().unwrap_or(Value::Null),
        }
    }

    /// The replies to `calls`, in their order.
    fn answer(&self, calls: Vec<Value>) -> Vec<Value> {
        let mut ids = Vec::with_capacity(calls.len());
        let mut replies = vec![Value::Null; calls.len()];
        let mut batch = Vec::with_capacity(calls.len());
        for (index, call) in calls.into_iter().enumerate() {
            let (id, prepared) = prepare(index, call);
            match prepared {
                Prepared::Call(call) => batch.push(call),
                Prepared::Answered(reply) => replies[index] = reply,
            }
            ids.push(id);
        }
        if batch.is_empty() {
            return replies;
        }
        let outputs = match block_on(
            self.io
                .handle_rpc_request(Request::Batch(batch), self.rpc.clone()),
        ) {
            Some(Response::Batch(outputs)) => outputs,
            Some(Response::Single(output)) => vec![output],
            None => vec![],
        };
        for output in outputs {
            let Id::Num(index) = *output.id() else {
                continue;
            };
            let index = index as usize;
            let (Some(reply), Some(id)) = (replies.get_mut(index), ids.get(index)) else {
                continue;
            };
            *reply = match output {
                Output::Success(success) => {
                    json!({"jsonrpc": "2.0", "result": success.result, "id": id})
                }
                Output::Failure(failed) => failure(id.clone(), failed.error),
            };
        }
        replies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{ClockSource, Node};
    use std::sync::Arc;

    fn handler() -> RpcHandler {
        let node = Arc::new(Node::with_clock(
            perp_pool::ID,
            ClockSource::Fixed(1_700_000_000),
        ));
        RpcHandler::new(Rpc {
            node,
            program_id: perp_pool::ID,
            slot_ms: 400,
            rpc_addr: "127.0.0.1:8899".parse().expect("address"),
            pubsub_addr: None,
            snapshot_slot: Arc::new(|| None),
        })
    }

    fn call(rpc: &RpcHandler, body: Value) -> Value {
        rpc.handle_body(body.to_string().as_bytes())
    }

    fn error(code: i64, message: &str, id: Value) -> Value {
        json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
    }

    #[test]
    fn the_envelope_answers_every_call_with_the_id_it_was_sent_with() {
        let rpc = handler();
        let ok = |id: Value| json!({"jsonrpc": "2.0", "result": "ok", "id": id});
        for id in [
            json!(7),
            json!("a"),
            json!(-3),
            json!(1.5),
            json!({"k": [1]}),
        ] {
            let reply = call(
                &rpc,
                json!({"jsonrpc": "2.0", "id": id, "method": "getHealth"}),
            );
            assert_eq!(reply, ok(id));
        }
        // No id (a notification to jsonrpc-core), no version, extra params: still answered.
        let reply = call(&rpc, json!({"method": "getHealth", "params": [1, 2]}));
        assert_eq!(reply, ok(Value::Null));
        let batch = call(
            &rpc,
            json!([1, {"id": 2, "method": "getHealth"}, {"id": 3}, {"id": 4, "method": "nope"}]),
        );
        let invalid = |id| error(-32600, "Invalid request", id);
        assert_eq!(
            batch,
            json!([
                invalid(Value::Null),
                ok(json!(2)),
                invalid(json!(3)),
                error(-32601, "Method not found", json!(4))
            ])
        );
        assert_eq!(call(&rpc, json!([])), invalid(Value::Null));
        assert_eq!(
            rpc.handle_body(b"{oops"),
            error(-32700, "Parse error", Value::Null)
        );
        // Positional parameters only, refused before the method is looked up.
        for method in ["getHealth", "nope"] {
            let reply = call(&rpc, json!({"id": 5, "method": method, "params": {"a": 1}}));
            let message = "Invalid params: expected an array.";
            assert_eq!(reply, error(-32602, message, json!(5)));
        }
    }

    #[test]
    fn typed_parameters_keep_the_node_s_error_messages() {
        let rpc = handler();
        let key = "11111111111111111111111111111111";
        let cases = [
            (
                "getAccountInfo",
                json!([]),
                "Invalid params: missing required parameter.",
            ),
            (
                "getAccountInfo",
                json!([null]),
                "Invalid params: missing required parameter.",
            ),
            (
                "getAccountInfo",
                json!([5]),
                "Invalid params: invalid type: integer `5`, expected a string.",
            ),
            (
                "getAccountInfo",
                json!(["x"]),
                "Invalid param: String is the wrong size",
            ),
            (
                "getAccountInfo",
                json!([key, 5]),
                "Invalid params: invalid type: integer `5`, expected struct RpcAccountInfoConfig.",
            ),
            (
                "getBlock",
                json!([-1]),
                "Invalid params: invalid value: integer `-1`, expected u64.",
            ),
            (
                "getBlocksWithLimit",
                json!([0]),
                "Invalid params: missing required parameter.",
            ),
            (
                "perpnode_setAccount",
                json!([key]),
                "Invalid params: missing required parameter.",
            ),
            (
                "getSignatureStatuses",
                json!([["x"]]),
                "Invalid param: Invalid",
            ),
        ];
        for (method, params, message) in cases {
            let reply = call(&rpc, json!({"id": 1, "method": method, "params": params}));
            assert_eq!(reply, error(-32602, message, json!(1)), "{method} {params}");
        }
        // Parameters past the method's are ignored; aliases answer as their method.
        let slot = call(
            &rpc,
            json!({"id": 1, "method": "getSlot", "params": [null, "x"]}),
        );
        assert!(slot["result"].is_u64(), "{slot}");
        let method = call(&rpc, json!({"id": 1, "method": "getMaxRetransmitSlot"}));
        let alias = call(&rpc, json!({"id": 1, "method": "getMaxShredInsertSlot"}));
        assert_eq!(alias, method);
    }
}
