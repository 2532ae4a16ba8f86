"""Initialise perp_pool and create the pools of a TOML config, idempotently.

    python migrations/deploy.py --config migrations/pools.example.toml [--rpc-url URL] [--keypair FILE]
                                [--update] [--check] [-v | -vv]

The config is checked first (every problem reported with its key, nothing sent); then each step
checks the chain: the global config, each pool, each mint the config creates (the wallet becomes
its mint authority), each custody and its first oracle price are created only if missing.
Existing accounts are compared with the config and differences reported; `--update` rewrites a
custody's oracle, fees, pricing and borrow rate to the config's. Prints one JSON line per step.

Failures are one line on stderr saying what to do, with the exit codes of `perp-pool` (2 bad
config, 3 not found, 4 no SOL, 5 no node, 1 refused); -vv adds the traceback. perp_pool.deploy
does the work (`perp-pool localnet` deploys with it too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from perp_pool import deploy as deployment
from perp_pool import failures
from perp_pool.client import PerpPoolClient, load_keypair

log = logging.getLogger("perp_pool.deploy")
DEFAULT_URL = "http://127.0.0.1:8899"
DEFAULT_KEYPAIR = "~/.config/solana/id.json"


def fail(name: str, message: str, exit_code: int) -> int:
    print(f"error: {name}: {message}", file=sys.stderr)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--rpc-url")
    parser.add_argument("--keypair")
    parser.add_argument("--update", action="store_true", help="rewrite custodies whose parameters differ")
    parser.add_argument("--check", action="store_true", help="only check the config; send nothing")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v program logs, -vv tracebacks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        spec = deployment.load(args.config)
    except deployment.SpecError as exc:
        for problem in exc.problems:
            print(f"error: InvalidConfig: {exc.source}: {problem}", file=sys.stderr)
        return failures.EXIT_USAGE
    if args.check:
        print(json.dumps({"step": "check", "status": "ok", "pools": [p.name for p in spec.pools]}))
        return 0
    url = args.rpc_url or spec.rpc_url or os.environ.get("ANCHOR_PROVIDER_URL") or DEFAULT_URL
    keypair_path = Path(args.keypair or spec.admin_keypair or os.environ.get("ANCHOR_WALLET") or DEFAULT_KEYPAIR)
    try:
        admin: Keypair = load_keypair(keypair_path)
    except FileNotFoundError:
        return fail("KeypairNotFound", f"no keypair file at {keypair_path.expanduser()}: pass --keypair (or create "
                    "one with `perp-pool wallet new`)", failures.EXIT_NOT_FOUND)
    except (OSError, ValueError, TypeError) as exc:
        return fail("InvalidKeypair", f"cannot read keypair {keypair_path}: {exc}", failures.EXIT_USAGE)

    async def run() -> None:
        client = PerpPoolClient.connect(url, admin)
        try:
            if (await client.connection.get_balance(admin.pubkey(), commitment=Confirmed)).value == 0:
                raise failures.WalletHasNoSol()
            await deployment.deploy(spec, client, update=args.update,
                                    report=lambda step: print(json.dumps(step.as_json()), flush=True))
        finally:
            await client.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        return fail("Interrupted", "interrupted (Ctrl-C): running it again carries on where it stopped", 130)
    except deployment.DeployError as exc:
        log.debug("deploy failed", exc_info=exc)
        return fail(exc.name, exc.message, failures.EXIT_NOT_FOUND if exc.name.endswith("NotFound")
                    else failures.EXIT_FAILED)
    except Exception as exc:  # every failure is one line; -vv has the traceback
        log.debug("deploy failed", exc_info=exc)
        for line in getattr(exc, "logs", None) or []:
            log.info("program log: %s", line)
        f = failures.describe(exc, wallet=admin.pubkey(), url=url, keypair=str(keypair_path))
        return fail(f.name, f"{f.message} (running it again carries on where it stopped)"
                    if f.exit_code != failures.EXIT_UNREACHABLE else f.message, f.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
