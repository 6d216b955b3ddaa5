"""Reading an object's bytes from S3 as the Glue job's tasks do: the exact version, from any offset
(moto in process: no network)."""
import boto3
import pytest
from moto import mock_aws

from datalake_glue.sources import S3Object
from datalake_glue.storage import Encoding, GlueS3Storage, ObjectChanged, ObjectSpec


@pytest.fixture()
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
        yield client


def spec(version_id: str, etag: str) -> ObjectSpec:
    return ObjectSpec({}, "events", "lake", "raw/events/a:b.jsonl", version_id, etag, Encoding("jsonl", False), "a", "processed/events/{partition}a.parquet", "rejected/a.jsonl", "glue/results/a.json")


def test_an_old_version_is_read_from_an_offset_in_chunks(s3) -> None:
    # Prepare
    first = s3.put_object(Bucket="lake", Key="raw/events/a:b.jsonl", Body=b"0123456789")
    s3.put_object(Bucket="lake", Key="raw/events/a:b.jsonl", Body=b"replaced")
    source = S3Object("lake", "raw/events/a:b.jsonl", first["VersionId"], "", 10, "eu-west-1")
    # Act
    chunks = list(source.chunks(3, chunk_bytes=4))
    # Assess
    assert chunks == [b"3456", b"789"]
    assert list(source.chunks(10)) == []


def test_the_glue_storage_reads_the_current_version_and_refuses_a_replaced_one(s3) -> None:
    # Prepare
    written = s3.put_object(Bucket="lake", Key="raw/events/a:b.jsonl", Body=b'{"a":1}\n')
    storage = GlueS3Storage(s3, "lake", "glue/temp/")
    # Act
    source = storage.readable(spec(written["VersionId"], written["ETag"].strip('"')), 0)
    # Assess
    assert (source.size, b"".join(source.chunks())) == (8, b'{"a":1}\n')
    s3.put_object(Bucket="lake", Key="raw/events/a:b.jsonl", Body=b"newer")
    with pytest.raises(ObjectChanged):
        storage.readable(spec(written["VersionId"], written["ETag"].strip('"')), 0)
