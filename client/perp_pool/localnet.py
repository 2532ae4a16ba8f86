"""Start and stop `perp-localnet`, the local Solana node that runs perp_pool natively.

Used by the test suite, `make demo` and the benchmarks. It never builds anything: `make build`
does that; here we only find the binary, start it on a free loopback port and wait for health.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

BINARY_NAME = "perp-localnet"


def find_binary() -> Path:
    """`$PERP_LOCALNET_BIN`, else the newest build in `$CARGO_TARGET_DIR`, the Makefile's cache
    (`~/.cache/perp_pool/target`) or a `target/` directory above here."""
    env = os.environ.get("PERP_LOCALNET_BIN")
    if env:
        return Path(env)
    target_dirs = [Path(d) for d in (os.environ.get("CARGO_TARGET_DIR"),) if d]
    target_dirs.append(Path.home() / ".cache" / "perp_pool" / "target")
    for start in (Path.cwd(), Path(__file__).resolve()):
        target_dirs += [parent / "target" for parent in [start, *start.parents]]
    candidates = [d / profile / BINARY_NAME for d in target_dirs for profile in ("release", "debug")]
    candidates = [c for c in candidates if c.is_file()]
    if not candidates:
        raise FileNotFoundError(f"{BINARY_NAME} not built: run `make build` (or set PERP_LOCALNET_BIN)")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalNode:
    """A running `perp-localnet` process on 127.0.0.1."""

    def __init__(self, slot_ms: int = 400, port: int | None = None, log_path: Path | None = None,
                 pubsub_port: int | None = None, extra_args: list[str] | None = None):
        self.slot_ms = slot_ms
        self.port = port or free_port()
        # Its own free port rather than port + 1 (the node's default), which may be taken.
        self.pubsub_port = pubsub_port or free_port()
        self.log_path = log_path
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_to_healthy_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The PubSub websocket endpoint."""
        return f"ws://127.0.0.1:{self.pubsub_port}"

    def start(self, timeout_s: float = 60.0) -> LocalNode:
        binary = find_binary()
        started = time.monotonic()
        # The child keeps its own descriptor of the log; ours is closed once it has started.
        with open(self.log_path, "ab") if self.log_path else contextlib.nullcontext(subprocess.DEVNULL) as out:
            self.proc = subprocess.Popen(
                [str(binary), "--rpc-port", str(self.port), "--rpc-pubsub-port", str(self.pubsub_port),
                 "--slot-ms", str(self.slot_ms), *self.extra_args],
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with {self.proc.returncode} before it was healthy")
            try:
                r = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "getHealth"}, timeout=1.0)
                if r.json().get("result") == "ok":
                    self.start_to_healthy_s = time.monotonic() - started
                    log.info("perp-localnet healthy at %s in %.3fs", self.url, self.start_to_healthy_s)
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"perp-localnet not healthy after {timeout_s}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class NodeExtensions:
    """The node's test-only JSON-RPC methods (`perpnode_*`); absent on a real validator."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, params: list[object] | None = None) -> object:
        reply = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
                           timeout=30).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def available(self) -> bool:
        try:
            self.call("perpnode_info")
            return True
        except (RuntimeError, httpx.HTTPError, ValueError):
            return False

    def info(self) -> dict[str, object]:
        info = self.call("perpnode_info")
        if not isinstance(info, dict):
            raise RuntimeError(f"perpnode_info: expected an object, got {info!r}")
        return info

    def _call_int(self, method: str, params: list[object]) -> int:
        result = self.call(method, params)
        if not isinstance(result, int):
            raise RuntimeError(f"{method}: expected an integer, got {result!r}")
        return result

    def warp_clock(self, seconds: int) -> int:
        """Moves the Clock sysvar forward; returns the new unix_timestamp."""
        return self._call_int("perpnode_warpClock", [seconds])

    def advance_slots(self, n: int = 1) -> int:
        """Closes `n` slots now; returns the new slot."""
        return self._call_int("perpnode_advanceSlots", [n])

    def set_account(self, address: str, *, lamports: int, data: bytes, owner: str, executable: bool = False) -> None:
        import base64

        self.call("perpnode_setAccount", [address, {
            "lamports": lamports, "data": [base64.b64encode(data).decode(), "base64"],
            "owner": owner, "executable": executable,
        }])
