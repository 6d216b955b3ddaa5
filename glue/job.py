"""AWS Glue entry point of the datalake's heavy conversion (Glue 5.0, Spark 3.5, Python 3.11).

Only this file imports ``awsglue``, which exists only on Glue: everything else is the
``datalake_glue`` package (uploaded next to this script and passed with ``--extra-py-files``), whose
conversion functions take a SparkSession and run on a local ``pyspark`` as well.
"""
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

from datalake_glue.glue_main import OBJECT_ARGUMENTS, REQUIRED_ARGUMENTS, main

present = [name for name in OBJECT_ARGUMENTS if f"--{name}" in sys.argv]
arguments = getResolvedOptions(sys.argv, [*REQUIRED_ARGUMENTS, *present])
glue_context = GlueContext(SparkContext.getOrCreate())
main(glue_context.spark_session, arguments, boto3.client("s3"), boto3.client("sqs"))
