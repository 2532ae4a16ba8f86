# The two commands of the README: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Rust build output lives outside the clone so a fresh clone on the same machine builds warm.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/perp_pool/target
export PERP_LOCALNET_BIN := $(CARGO_TARGET_DIR)/debug/perp-localnet
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: test demo venv build cargo-test idl idl-check pytest bench clean-venv

test: venv build cargo-test idl-check pytest

demo: venv build
	$(PY) -m perp_pool.demo

$(VENV)/.installed: client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e 'client[test]'
	touch $@

venv: $(VENV)/.installed

build:
	cargo build --locked -p perp-localnet

cargo-test:
	cargo test --locked --workspace

idl:
	scripts/gen-idl.sh

idl-check:
	scripts/gen-idl.sh --check

pytest: venv
	$(PY) -m pytest

bench: venv build
	$(PY) bench/tx_throughput.py
	$(PY) bench/trade_roundtrip.py
	$(PY) bench/keeper_scan.py
	$(PY) bench/keeper_latency.py

clean-venv:
	rm -rf $(VENV)
