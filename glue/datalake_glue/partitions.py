"""Which day partition a row goes to, and whether Athena would see it (handlers/partition-writers.ts).

A row of a partitioned dataset lands in the UTC day of its partition column (epoch milliseconds
floored to days). A day whose year is outside the Athena partition projection the contract names
(``athenaProjectionFirstYear``–``LastYear``) refuses its rows as ``out_of_range``: written there, no
query would see them. Days are cached, as a file holds few.

Example::

    days = PartitionDays(contract, contract.dataset("events"))
    day = days.day_of(values)         # 20412
    days.refusal(day)                 # None, or Rejection("out_of_range", "event_timestamp is in 1999, …")
    days.path(day)                    # "year=2025/month=11/day=20/"
"""
from __future__ import annotations

from typing import Optional, Sequence

from .civil import MILLIS_PER_DAY, civil_from_days
from .coercion import Coerced, Rejection
from .contract import Contract, Dataset, fill

#: The day of every row of an unpartitioned dataset.
UNPARTITIONED_DAY = 0


class PartitionDays:
    """The partition rules of one dataset under one contract."""

    def __init__(self, contract: Contract, dataset: Dataset) -> None:
        self.contract = contract
        self.column = dataset.partition_column
        self.index = dataset.partition_index
        self._refusals: dict[int, Optional[Rejection]] = {}

    def day_of(self, values: Sequence[Coerced]) -> int:
        """The row's UTC day since 1970-01-01 (``UNPARTITIONED_DAY`` for an unpartitioned dataset)."""
        if self.index < 0:
            return UNPARTITIONED_DAY
        return values[self.index] // MILLIS_PER_DAY  # type: ignore[operator]

    def refusal(self, day: int) -> Optional[Rejection]:
        """Why rows of this day may not be written (``out_of_range``), or None."""
        years = self.contract.partition_years
        if self.index < 0 or years is None:
            return None
        if day not in self._refusals:
            year = civil_from_days(day)[0]
            outside = year < years.first or year > years.last
            detail = fill(self.contract.out_of_range, column=self.column, year=year, first=years.first, last=years.last)
            self._refusals[day] = Rejection("out_of_range", detail, self.column) if outside else None
        return self._refusals[day]

    def path(self, day: int) -> str:
        """The day's partition path (``dailyPartition``), or "" for an unpartitioned dataset."""
        if self.index < 0:
            return ""
        return self.contract.partition(*civil_from_days(day))
