"""Shared fixtures: the contract as the program generates it (written by tests/glue-python.test.mts,
else generated here with npx tsx), and a dataset with one column of each type."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from datalake_glue.contract import Contract, load_contract

ROOT = Path(__file__).resolve().parents[2]


def _contract_document() -> dict:
    given = os.environ.get("DATALAKE_GLUE_CONTRACT")
    if given:
        return json.loads(Path(given).read_text(encoding="utf-8"))
    script = 'import { glueContract } from "./handlers/glue-contract"; import { PARITY_DATASETS } from "./tests/glue-parity-cases"; process.stdout.write(JSON.stringify(glueContract(PARITY_DATASETS)));'
    output = subprocess.run(["npx", "tsx", "-e", script], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output)


@pytest.fixture(scope="session")
def contract_document() -> dict:
    return _contract_document()


@pytest.fixture(scope="session")
def contract(contract_document: dict) -> Contract:
    return load_contract(contract_document)
