"""The datalake's Glue conversion: raw objects to the processor's partitioned Parquet, on Spark.

Modules: ``jsvalues`` (JavaScript's value rules), ``contract`` (the registry and rules generated from
TypeScript), ``coercion`` and ``readers`` (records, as the processor reads and checks them),
``rejected`` (rejected-record lines), ``conversion`` (the Spark job, functions of a SparkSession),
``storage`` and ``driver`` (objects in, outputs, result documents and handbacks out), ``glue_main``
and ``local_run`` (entry points for AWS Glue and for a local pyspark).
"""
