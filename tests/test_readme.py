"""The README is the test's source: "Getting started" runs as written, from an empty HOME, against
the node `perp-pool localnet` starts, and the "Using the client" snippets run after it, so the
documentation cannot drift from the code.

The first ```console block of "Getting started" must be `make localnet` (= `make venv build`, then
`perp-pool localnet`): the suite has built the node already, so the test runs `perp-pool localnet`
itself, on a free port that every command finds through PERP_POOL_RPC_URL (the one change to the
user's environment; HOME is an empty directory, so the wallet is created by localnet). The other
```console blocks run literally, in one bash, from the clone (their `$ ` lines, in order).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from perp_pool import deploy
from perp_pool.localnet import find_binary, free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
VENV_ACTIVATE = ROOT / ".venv" / "bin" / "activate"
MARKER = "@@@ README command "


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def fenced(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def commands(block: str) -> list[str]:
    """The `$ ` lines of a console block (a line ending in a backslash continues on the next)."""
    out: list[str] = []
    pending = ""
    for line in block.splitlines():
        if pending:
            pending += "\n" + line
        elif line.startswith("$ "):
            pending = line[2:]
        else:
            continue
        if not pending.endswith("\\"):
            out.append(pending)
            pending = ""
    return out


def walkthrough() -> tuple[list[str], list[str]]:
    """(the node block's commands, every other command of "Getting started")."""
    blocks = fenced(section(README.read_text(), "Getting started"), "console")
    assert len(blocks) >= 2, "Getting started needs the node's block and the walkthrough's"
    return commands(blocks[0]), [c for b in blocks[1:] for c in commands(b)]


def test_getting_started_starts_with_make_localnet_and_uses_the_example_mints() -> None:
    node, steps = walkthrough()
    assert node == ["make localnet"]
    # It covers what the issue asks for, in this order: a deposit, a position, a price move, a
    # liquidation by the keeper, a withdrawal; and the tranches: a senior deposit, the pool's
    # tranches, a stress test, a senior withdrawal.
    order = ["perp-pool lp deposit", "perp-pool lp deposit --pool main --mint $USDC --amount 2000 --tranche senior",
             "perp-pool trade open", "perp-pool oracle set", "perp-pool keeper liquidate", "perp-pool pool info",
             "perp-pool pool stress", "perp-pool lp withdraw", "perp-pool lp withdraw --pool main --mint $USDC "
             "--lp-amount 500 --tranche senior"]
    positions = [next(i for i, c in enumerate(steps) if c.startswith(prefix)) for prefix in order]
    assert positions == sorted(positions)
    # The example pool has the tranches the walkthrough uses.
    spec = deploy.load(ROOT / "migrations" / "pools.example.toml")
    assert spec.pools[0].name == "main" and spec.pools[0].tranches is not None
    # The mints it names are the example config's (their keypairs are committed).
    spec = deploy.load(ROOT / "migrations" / "pools.example.toml")
    mints = {c.symbol: str(c.mint.address) for c in spec.pools[0].custodies}
    exported = dict(re.findall(r"(\w+)=(\w+)", next(c for c in steps if c.startswith("export "))))
    assert exported == {k: mints[k] for k in exported} and {"USDC", "SOL"} <= set(exported)
    snippets = "\n".join(fenced(section(README.read_text(), "Using the client"), "python"))
    for symbol in ("USDC", "SOL"):
        assert mints[symbol] in snippets


# ---- running it --------------------------------------------------------------------------------


@dataclass
class Localnet:
    proc: subprocess.Popen[str]
    url: str
    home: Path
    env: dict[str, str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def banner(self) -> str:
        return "".join(self.stdout)


def _pump(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)


@pytest.fixture(scope="module")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    try:
        binary = find_binary()
    except FileNotFoundError:
        pytest.skip("perp-localnet is not built (make build)")
    cli = Path(sys.executable).parent / "perp-pool"
    if not VENV_ACTIVATE.is_file() or not cli.is_file():
        pytest.skip("the walkthrough activates the clone's .venv, with perp-pool installed (make venv)")
    home = tmp_path_factory.mktemp("home")  # empty: no wallet, no config
    url = f"http://127.0.0.1:{free_port()}"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PERP_POOL_RPC_URL": url, "LANG": "C.UTF-8",
           "PERP_LOCALNET_BIN": str(binary)}
    proc = subprocess.Popen([str(cli), "localnet"], cwd=home, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    net = Localnet(proc, url, home, env)
    threads = [threading.Thread(target=_pump, args=(proc.stdout, net.stdout), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, net.stderr), daemon=True)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while "README.md" not in net.banner():  # the banner's last line
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"perp-pool localnet did not come up: {net.banner()} {''.join(net.stderr)}")
        time.sleep(0.1)
    try:
        yield net
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_localnet_prints_what_the_walkthrough_needs(localnet: Localnet) -> None:
    banner = localnet.banner()
    wallet = json.loads((localnet.home / ".config" / "solana" / "id.json").read_text())
    assert len(wallet) == 64  # created in the empty HOME
    assert f"RPC URL   {localnet.url}" in banner and "a restart continues from it" in banner
    _, steps = walkthrough()
    for mint in re.findall(r"=(\w+)", next(c for c in steps if c.startswith("export "))):
        assert mint in banner
    assert re.search(r"^pool main: \w+ \(LP cooldown 10 s\)$", banner, flags=re.M)
    # 80 columns, but for the lines with the wallet's path (a temporary directory here)
    assert all(len(line) <= 80 for line in banner.splitlines() if str(localnet.home) not in line), banner


def run_walkthrough(net: Localnet) -> list[tuple[str, str]]:
    """Runs every command in one bash from the clone; returns (command, its output) in order."""
    _, steps = walkthrough()
    script = ["set -euo pipefail"]
    for i, command in enumerate(steps):
        script += [f"echo '{MARKER}{i}'", command]
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=net.env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    parts = done.stdout.split(MARKER)[1:]
    outputs = []
    for part in parts:
        index, _, output = part.partition("\n")
        outputs.append((steps[int(index)], output))
    if done.returncode != 0:
        failed = steps[len(parts) - 1] if parts else "(before the first command)"
        pytest.fail(f"README command failed (exit {done.returncode}): $ {failed}\n{done.stdout[-3000:]}")
    return outputs


def test_the_getting_started_walkthrough_runs_to_the_end(localnet: Localnet) -> None:
    outputs = run_walkthrough(localnet)

    def output(prefix: str, nth: int = 0) -> str:
        return [out for c, out in outputs if c.startswith(prefix)][nth]

    assert "minted 10,000.000000" in output("perp-pool faucet")
    assert output("perp-pool lp deposit").startswith("LiquidityAdded")
    senior = output("perp-pool lp deposit", 1)
    assert senior.startswith("LiquidityAdded") and re.search(r"^tranche\s+senior\s*$", senior, flags=re.M), senior
    assert output("perp-pool trade open").startswith("PositionOpened")
    before = output("perp-pool positions list")
    assert re.search(r"long .* ok\s*$", before, flags=re.M), before
    assert output("perp-pool oracle set").startswith("CustomOraclePriceSet")
    after = output("perp-pool positions list", 1)
    assert re.search(r"long .* LIQUIDATABLE\s*$", after, flags=re.M), after
    liquidated = output("perp-pool keeper liquidate")
    assert "1 liquidatable" in liquidated and "1 liquidated" in liquidated, liquidated
    info = output("perp-pool pool info")
    assert "tranches: senior LP mint " in info and "losses: bad debt to the insurance fund, then junior" in info, info
    stress = output("perp-pool pool stress")
    assert "the junior tranche absorbs the rest; the senior is untouched" in stress, stress
    assert "LiquidityRemoved" in output("perp-pool lp withdraw")
    assert "LiquidityRemoved" in output("perp-pool lp withdraw", 1)
    # The end state, asked in JSON: no open position, the wallet holds USDC again.
    env = {**localnet.env, "PATH": f"{ROOT / '.venv' / 'bin'}:{localnet.env['PATH']}"}
    listed = subprocess.run(["perp-pool", "--json", "positions", "list", "--pool", "main"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(listed.stdout)["positions"] == []


def test_the_client_snippets_run(localnet: Localnet) -> None:
    """Every ```python block of "Using the client", in order, in one namespace that accepts
    top-level await (as `python -m asyncio` does), against the walkthrough's node and wallet."""
    source = "\n".join(fenced(section(README.read_text(), "Using the client"), "python"))
    assert "http://127.0.0.1:8899" in source
    source = source.replace("http://127.0.0.1:8899", localnet.url)
    runner = ("import ast, asyncio, sys\n"
              "code = compile(sys.stdin.read(), 'README.md', 'exec', flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)\n"
              "async def main():\n"
              "    result = eval(code, {'__name__': '__main__'})\n"
              "    if result is not None:\n"
              "        await result\n"
              "asyncio.run(main())\n")
    done = subprocess.run([sys.executable, "-c", runner], input=source, env={**os.environ, "HOME": str(localnet.home)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert len(printed) >= 4 and all(line.strip() for line in printed), done.stdout


def test_ctrl_c_stops_the_node_cleanly(localnet: Localnet) -> None:
    localnet.proc.send_signal(signal.SIGINT)
    assert localnet.proc.wait(timeout=30) == 0
    time.sleep(0.2)  # the stderr pump
    assert "perp-localnet stopped" in "".join(localnet.stderr)
    assert not any("Traceback" in line for line in localnet.stderr)
    port = int(localnet.url.rsplit(":", 1)[1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the node is gone: its port is free again
