"""The job's logic on AWS Glue, without the ``awsglue`` imports (those stay in ``glue/job.py``).

Arguments (``--name value``): ``lake_bucket``, ``contract_key`` (the contract the program uploaded),
``temp_prefix`` (Spark's staging), ``handback_queue_url`` (the processing queue), and per run either
``objects`` (a JSON list of object specs: the processor's single object) or ``objects_key`` (an S3 key
in the lake bucket holding that list: a backfill). ``JOB_RUN_ID`` names the staging folder and the
handbacks.

Example::

    main(spark, {"lake_bucket": "lake", "contract_key": "glue/scripts/contract.json", …}, s3, sqs)
"""
from __future__ import annotations

import json
import sys
from typing import Any, Mapping

from pyspark.sql import SparkSession

from .contract import load_contract
from .conversion import configure_session
from .driver import SqsHandback, run
from .storage import GlueS3Storage, ObjectSpec

#: Job arguments every run has (the job's default arguments).
REQUIRED_ARGUMENTS = ("JOB_NAME", "lake_bucket", "contract_key", "temp_prefix", "handback_queue_url")
#: Exactly one of these is given per run (StartJobRun's arguments).
OBJECT_ARGUMENTS = ("objects", "objects_key")


def log(message: str, attributes: Mapping[str, Any]) -> None:
    """One JSON line on the driver's output log (CloudWatch, encrypted by the security configuration)."""
    print(json.dumps({"level": "INFO", "message": message, **attributes}, default=str), file=sys.stdout, flush=True)


def object_specs(arguments: Mapping[str, str], s3: Any) -> list[ObjectSpec]:
    """The run's objects, inline or from the lake bucket."""
    if arguments.get("objects"):
        raw = json.loads(arguments["objects"])
    elif arguments.get("objects_key"):
        raw = json.loads(s3.get_object(Bucket=arguments["lake_bucket"], Key=arguments["objects_key"])["Body"].read())
    else:
        raise ValueError("a run needs --objects or --objects_key")
    return [ObjectSpec.from_json(item) for item in raw]


def main(spark: SparkSession, arguments: Mapping[str, str], s3: Any, sqs: Any) -> list[dict[str, Any]]:
    bucket = arguments["lake_bucket"]
    contract = load_contract(json.loads(s3.get_object(Bucket=bucket, Key=arguments["contract_key"])["Body"].read()))
    configure_session(spark)
    specs = object_specs(arguments, s3)
    run_id = arguments.get("JOB_RUN_ID") or "run"
    log("Converting objects", {"objects": len(specs), "jobRunId": run_id})
    storage = GlueS3Storage(s3, bucket, arguments["temp_prefix"])
    region = s3.meta.region_name
    summaries = run(spark, contract, specs, storage, SqsHandback(sqs, arguments["handback_queue_url"]), run_id, log, region)
    log("Run finished", {"jobRunId": run_id, "statuses": [summary["status"] for summary in summaries]})
    return summaries
