"""Runs the job's conversion on a local pyspark: the local pipeline's stand-in for a Glue job run, the
parity tests' and the benchmark's converter.

Two storages: ``--raw-root``/``--lake-root`` (objects and outputs as local files), or ``--endpoint``
(an S3 endpoint such as the test emulator, through boto3; handbacks sent to
``--handback-queue-url`` when given). The run's summary is printed as one line prefixed with
``DATALAKE_RESULT `` (Spark logs to stderr).

Example::

    python -m datalake_glue.local_run --contract contract.json --objects-file specs.json \\
        --endpoint https://127.0.0.1:4566 --region eu-west-1 --bucket lake --ca-bundle cert.pem --work /tmp/run
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from .contract import load_contract
from .conversion import local_session
from .driver import CollectedHandback, SqsHandback, run
from .storage import EmulatedS3Storage, LocalFilesStorage, ObjectSpec, Storage

RESULT_PREFIX = "DATALAKE_RESULT "


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="datalake_glue.local_run", description=__doc__.splitlines()[0])
    parser.add_argument("--contract", required=True, type=Path, help="the contract JSON (handlers/glue-contract.ts)")
    parser.add_argument("--objects-file", required=True, type=Path, help="a JSON list of object specs (handlers/glue-objects.ts)")
    parser.add_argument("--work", required=True, type=Path, help="a scratch folder (downloads, Spark's staging)")
    parser.add_argument("--run-id", default="local-run")
    parser.add_argument("--raw-root", type=Path)
    parser.add_argument("--lake-root", type=Path)
    parser.add_argument("--endpoint")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--bucket")
    parser.add_argument("--ca-bundle", help="PEM of the endpoint's certificate authority")
    parser.add_argument("--handback-queue-url")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--memory", default="1g", help="the local driver's (and executors') JVM heap")
    return parser.parse_args(argv)


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a process and its descendants, reaped ones included (Linux ``/proc``); 0 elsewhere."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    import os

    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def _log(message: str, attributes: Mapping[str, Any]) -> None:
    print(json.dumps({"message": message, **attributes}, default=str), file=sys.stderr, flush=True)


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    import boto3

    # The caller's principal when the environment names one (the local pipeline runs the job as the Glue
    # job's role through the policy-enforcing endpoint); the emulator's anonymous test keys otherwise.
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=args.region,
    )
    options: dict[str, Any] = {"endpoint_url": args.endpoint, "verify": args.ca_bundle or True}
    from botocore.config import Config

    s3 = session.client("s3", config=Config(s3={"addressing_style": "path"}), **options)
    sqs = session.client("sqs", **options)
    return s3, sqs


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    contract = load_contract(json.loads(args.contract.read_text(encoding="utf-8")))
    specs = [ObjectSpec.from_json(item) for item in json.loads(args.objects_file.read_text(encoding="utf-8"))]
    collected = CollectedHandback()
    storage: Storage
    handback: Any = collected
    if args.endpoint:
        s3, sqs = _clients(args)
        storage = EmulatedS3Storage(s3, args.bucket or specs[0].bucket, args.work)
        if args.handback_queue_url:
            handback = SqsHandback(sqs, args.handback_queue_url)
    elif args.raw_root and args.lake_root:
        storage = LocalFilesStorage(args.raw_root, args.lake_root, args.work)
    else:
        raise SystemExit("give --endpoint (with --bucket) or --raw-root and --lake-root")
    started = time.monotonic()
    spark = local_session(cores=args.cores, memory=args.memory)
    session_seconds = time.monotonic() - started
    summaries = run(spark, contract, specs, storage, handback, args.run_id, _log)
    import os

    cpu_seconds = _tree_cpu_seconds(os.getpid())
    print(
        RESULT_PREFIX
        + json.dumps(
            {
                "results": summaries,
                "handbacks": collected.messages,
                "sessionSeconds": session_seconds,
                # The driver, the JVM and Spark's Python workers (a shared machine's wall clock varies more).
                "cpuSeconds": cpu_seconds,
                "seconds": time.monotonic() - started,
            }
        ),
        flush=True,
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
