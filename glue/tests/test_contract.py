"""Loading the contract the program generates (handlers/glue-contract.ts): version, wording, limits."""
import copy

import pytest

from datalake_glue.contract import fill, load_contract


def test_templates_are_filled_by_name_leaving_other_braces() -> None:
    # Act / Assess
    assert fill("{column} is in {year} ({first}-{last}) {other} {}", column="t", year=-1, first=1, last=2999) == "t is in -1 (1-2999) {other} {}"


def test_the_limits_and_years_come_from_the_document(contract_document: dict) -> None:
    # Prepare
    document = copy.deepcopy(contract_document)
    document["reading"]["maxRecordBytes"] = 2048
    document["partition"]["years"] = {"first": 2024, "last": 2035}
    # Act
    contract = load_contract(document)
    # Assess
    assert contract.reading.max_record_bytes == 2048
    assert (contract.partition_years.first, contract.partition_years.last) == (2024, 2035)
    assert contract.partition(7, 1, 2) == "year=0007/month=01/day=02/"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda document: document.update(version=1), "contract version 1"),
        (lambda document: document["reading"]["messages"].pop("csvNoHeader"), "lack ['csvNoHeader']"),
        (lambda document: document["datasets"]["events"]["columns"][0].update(type="decimal"), "does not implement"),
    ],
)
def test_a_contract_of_another_release_is_refused_at_the_start(contract_document: dict, change, message: str) -> None:
    # Prepare
    document = copy.deepcopy(contract_document)
    change(document)
    # Act
    with pytest.raises(ValueError) as raised:
        load_contract(document)
    # Assess
    assert message in str(raised.value)
