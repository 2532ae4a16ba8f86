"""Deploying pools from a TOML config (migrations/deploy.py, `perp-pool localnet`): `spec` reads and
checks the config, `apply` creates what is missing, idempotently."""

from perp_pool.deploy.apply import DeployedCustody, DeployedPool, DeployError, Step, deploy
from perp_pool.deploy.spec import (
    CustodySpec,
    DeploySpec,
    MintSpec,
    PoolSpec,
    SpecError,
    TrancheSpec,
    load,
    parse,
    parse_text,
)

__all__ = ["CustodySpec", "DeployError", "DeploySpec", "DeployedCustody", "DeployedPool", "MintSpec", "PoolSpec",
           "SpecError", "Step", "TrancheSpec", "deploy", "load", "parse", "parse_text"]
