"""One run of the job: object specs in; outputs, result documents and handbacks out.

For each object version the driver asks the storage where its bytes are read from, converts all of them
in one Spark pass per dataset (``conversion``), moves each staged file to the lake key the program
computed for it (``ObjectSpec``), writes the version's result document and hands its message back to
the processor, which then applies the change to the mirror. An unreadable object (declared gzip but
not gzip, a corrupt or cut member) is rejected whole, as the processor rejects it, without failing
the others; a run that fails as a whole is retried object by object, so a failing object fails alone.

Example::

    results = run(spark, contract, specs, storage, handback=sqs_handback(sqs, queue_url), run_id="jr_1", log=print)
    results[0]["status"]  # "converted" | "rejected" | "changed"
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

from pyspark.sql import SparkSession

from .contract import Contract
from .conversion import SourceInput, StagedObject, convert_sources
from .storage import JSON_LINES_CONTENT_TYPE, PARQUET_CONTENT_TYPE, ObjectChanged, ObjectRejected, ObjectSpec, Storage

Log = Callable[[str, Mapping[str, Any]], None]


class Handback(Protocol):
    def send(self, message: Mapping[str, Any]) -> None: ...


class SqsHandback:
    """Sends handbacks to the processing queue."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sqs, self.queue_url = sqs, queue_url

    def send(self, message: Mapping[str, Any]) -> None:
        import json

        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(message))


class CollectedHandback:
    """Keeps handbacks in memory (tests, and runners that deliver them themselves)."""

    def __init__(self) -> None:
        self.messages: list[Mapping[str, Any]] = []

    def send(self, message: Mapping[str, Any]) -> None:
        self.messages.append(message)


def _convert_isolating(
    spark: SparkSession, contract: Contract, sources: Sequence[SourceInput], staging: str, log: Log, region: Optional[str]
) -> dict[int, StagedObject | ObjectRejected]:
    """All sources in one pass; if that fails, each on its own, so an object that fails (S3 refusing
    it, a defect) fails alone. An unreadable object (not gzip, a corrupt member) fails nothing: the
    conversion rejects it whole (``ObjectRejected``)."""
    try:
        return dict(convert_sources(spark, contract, sources, f"{staging.rstrip('/')}/all", region))
    except Exception as error:  # Py4J and Spark errors carry the executor's exception as text
        if len(sources) == 1:
            raise
        log("Run failed as a whole; converting its objects one by one", {"objects": len(sources), "error": str(error).splitlines()[0][:500]})
    results: dict[int, StagedObject | ObjectRejected] = {}
    for source in sources:
        results.update(_convert_isolating(spark, contract, [source], f"{staging.rstrip('/')}/one-{source.index}", log, region))
    return results


def _publish(spec: ObjectSpec, staged: StagedObject, storage: Storage) -> dict[str, Any]:
    """Moves a converted object's staged files to their lake keys; returns its result document."""
    partitions = []
    outputs = []
    for partition in sorted(staged.partitions):
        key = spec.processed_key(partition)
        storage.publish(staged.partitions[partition].file, key, PARQUET_CONTENT_TYPE)
        outputs.append(key)
        # As the processor lists a written partition (handlers/completion-event.ts WrittenPartition).
        partitions.append({"partition": partition, "key": key, "rows": staged.partitions[partition].rows})
    if staged.rejected_file is not None:
        storage.publish(staged.rejected_file, spec.rejected_key, JSON_LINES_CONTENT_TYPE)
        outputs.append(spec.rejected_key)
    if staged.rows_written + staged.rows_rejected != staged.rows_read:
        raise RuntimeError(f"Counts do not reconcile for {spec.key}")
    return {
        "status": "converted",
        "outputs": outputs,
        "partitions": partitions,
        "rowsRead": staged.rows_read,
        "rowsWritten": staged.rows_written,
        "rowsRejected": staged.rows_rejected,
    }


def run(
    spark: SparkSession,
    contract: Contract,
    specs: Sequence[ObjectSpec],
    storage: Storage,
    handback: Optional[Handback],
    run_id: str,
    log: Log,
    region: Optional[str] = None,
) -> list[dict[str, Any]]:
    """Converts every object of a run; returns one summary per object, in order. ``region``: of S3 staging."""
    summaries: list[dict[str, Any]] = [{"key": spec.key, "status": "pending"} for spec in specs]
    sources: list[SourceInput] = []
    outcomes: dict[int, StagedObject | ObjectRejected] = {}
    for index, spec in enumerate(specs):
        try:
            source = storage.readable(spec, index)
        except ObjectRejected as rejection:
            outcomes[index] = rejection
            continue
        except ObjectChanged as changed:
            summaries[index] = {"key": spec.key, "status": "changed", "detail": str(changed)}
            continue
        sources.append(SourceInput(index, spec.dataset, source, spec.encoding.format, spec.encoding.json_document, spec.encoding.gzip, spec.key))
    if sources:
        outcomes.update(_convert_isolating(spark, contract, sources, storage.staging(run_id), log, region))

    for index, outcome in sorted(outcomes.items()):
        spec = specs[index]
        if isinstance(outcome, ObjectRejected):
            result: dict[str, Any] = {"status": "rejected", "reason": outcome.reason, "detail": outcome.detail}
        elif not storage.unchanged(spec):
            summaries[index] = {"key": spec.key, "status": "changed", "detail": "the key changed while it was read"}
            continue
        else:
            result = _publish(spec, outcome, storage)
            if outcome.ignored_trailing_bytes is not None:
                log("Ignored bytes after the last gzip member", {"key": spec.key, "bytes": outcome.ignored_trailing_bytes})
        storage.put_json(spec.result_key, result)
        if handback is not None:
            handback.send({**spec.message, "glue": {"jobRunId": run_id, "resultKey": spec.result_key}})
        summaries[index] = {"key": spec.key, **result}
        log("Converted object" if result["status"] == "converted" else "Rejected object", {"key": spec.key, **result})
    return summaries
