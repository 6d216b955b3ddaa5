"""Where the job reads raw objects and puts its outputs: S3 as Glue sees it, S3 through an emulator
for the local pipeline, or local folders for the parity tests and the benchmark.

Each storage answers four questions for the driver: where the tasks read an object version's bytes
from (``sources``; or why they cannot: the version is gone, or was replaced), where Spark stages,
how a staged file becomes a lake key, and whether the object is still the version that was read.

Example::

    storage = LocalFilesStorage(raw_root=Path("in"), lake_root=Path("out"), work=Path("work"))
    source = storage.readable(spec, 0)    # LocalFile(path="…/in/raw/events/a.jsonl", size=1234)
    storage.publish(staged_file, "processed/events/year=2026/month=11/day=20/a-….parquet", PARQUET)
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Protocol
from urllib.parse import urlparse

from .sources import ByteSource, LocalFile, S3Object

PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
JSON_LINES_CONTENT_TYPE = "application/x-ndjson"


@dataclass(frozen=True)
class Encoding:
    format: str
    #: Declared gzip (`.gz`, `Content-Encoding`): the bytes decide (gzip_members).
    gzip: bool
    #: A `.json` object: a top-level JSON array is read element by element.
    json_document: bool = False


@dataclass(frozen=True)
class ObjectSpec:
    """One object version to convert (handlers/glue-objects.ts `GlueObjectSpec`)."""

    message: Mapping[str, Any]
    dataset: str
    bucket: str
    key: str
    version_id: Optional[str]
    etag: str
    encoding: Encoding
    name: str
    processed_key_template: str
    rejected_key: str
    result_key: str

    @staticmethod
    def from_json(raw: Mapping[str, Any]) -> "ObjectSpec":
        return ObjectSpec(
            message=raw["message"],
            dataset=raw["dataset"],
            bucket=raw["bucket"],
            key=raw["key"],
            version_id=raw.get("versionId"),
            etag=raw["etag"],
            encoding=Encoding(
                format=raw["encoding"]["format"], gzip=bool(raw["encoding"]["gzip"]), json_document=bool(raw["encoding"].get("jsonDocument", False))
            ),
            name=raw["name"],
            processed_key_template=raw["processedKeyTemplate"],
            rejected_key=raw["rejectedKey"],
            result_key=raw["resultKey"],
        )

    def processed_key(self, partition: str) -> str:
        return self.processed_key_template.replace("{partition}", partition)


class ObjectRejected(Exception):
    """The object version can never be converted (handlers/errors.ts reasons)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ObjectChanged(Exception):
    """The key no longer holds the version to convert: a later change of it decides the mirror."""


class Storage(Protocol):
    def readable(self, spec: ObjectSpec, index: int) -> ByteSource: ...

    def staging(self, run_id: str) -> str: ...

    def publish(self, staged: str, key: str, content_type: str) -> None: ...

    def unchanged(self, spec: ObjectSpec) -> bool: ...

    def put_json(self, key: str, document: Mapping[str, Any]) -> None: ...


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(parsed.path if parsed.scheme == "file" else uri)


def _download_name(spec: ObjectSpec, index: int) -> str:
    """A local file name for a downloaded object version."""
    return f"{index:05d}-{spec.name}"


class LocalFilesStorage:
    """Raw objects under ``raw_root/<key>``, outputs written to ``lake_root/<key>`` (parity tests, benchmark)."""

    def __init__(self, raw_root: Path, lake_root: Path, work: Path) -> None:
        self.raw_root, self.lake_root, self.work = raw_root, lake_root, work

    def readable(self, spec: ObjectSpec, index: int) -> ByteSource:
        source = self.raw_root / spec.key
        if not source.exists():
            raise ObjectRejected("object_not_found", f"NoSuchKey: {spec.key}")
        return LocalFile(str(source.resolve()), source.stat().st_size)

    def staging(self, run_id: str) -> str:
        return (self.work / "staging" / run_id).resolve().as_uri()

    def publish(self, staged: str, key: str, content_type: str) -> None:
        target = self.lake_root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_local_path(staged), target)

    def unchanged(self, spec: ObjectSpec) -> bool:
        return True

    def put_json(self, key: str, document: Mapping[str, Any]) -> None:
        target = self.lake_root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document), encoding="utf-8")


def _error_code(error: Exception) -> tuple[str, int]:
    response = getattr(error, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", "")), int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _rejection_of(error: Exception) -> Optional[ObjectRejected]:
    """handlers/errors.ts `permanentCause` for S3's answers: the version is gone, archived or replaced."""
    code, status = _error_code(error)
    reason = {"NoSuchKey": "object_not_found", "NoSuchVersion": "object_not_found", "NotFound": "object_not_found",
              "InvalidObjectState": "object_archived", "PreconditionFailed": "object_replaced"}.get(code)
    if reason is None and status == 404:
        reason = "object_not_found"
    if reason is None and status == 412:
        reason = "object_replaced"
    return None if reason is None else ObjectRejected(reason, f"{code or status}: {error}")


class EmulatedS3Storage:
    """S3 through an endpoint Spark's S3 connector cannot reach (the local pipeline's emulator): objects
    are downloaded (the exact version) and outputs uploaded with boto3; Spark works on local files."""

    def __init__(self, s3: Any, bucket: str, work: Path) -> None:
        self.s3, self.bucket, self.work = s3, bucket, work

    def readable(self, spec: ObjectSpec, index: int) -> ByteSource:
        target = self.work / "input" / _download_name(spec, index)
        target.parent.mkdir(parents=True, exist_ok=True)
        selector = {"VersionId": spec.version_id} if spec.version_id else {"IfMatch": f'"{spec.etag}"'} if spec.etag else {}
        try:
            response = self.s3.get_object(Bucket=spec.bucket, Key=spec.key, **selector)
        except Exception as error:  # botocore's ClientError, classified as the processor classifies it
            rejection = _rejection_of(error)
            if rejection is None:
                raise
            raise rejection from error
        with target.open("wb") as out:
            shutil.copyfileobj(response["Body"], out, 1024 * 1024)
        return LocalFile(str(target.resolve()), target.stat().st_size)

    def staging(self, run_id: str) -> str:
        return (self.work / "staging" / run_id).resolve().as_uri()

    def publish(self, staged: str, key: str, content_type: str) -> None:
        self.s3.upload_file(str(_local_path(staged)), self.bucket, key, ExtraArgs={"ContentType": content_type})

    def unchanged(self, spec: ObjectSpec) -> bool:
        return True

    def put_json(self, key: str, document: Mapping[str, Any]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(document).encode("utf-8"), ContentType="application/json")


class GlueS3Storage:
    """S3 as a Glue job sees it: the tasks read the version to convert (checked to be the key's current
    one before and after) with ranged GETs, Spark stages under the job's temporary prefix, and staged
    files are copied to their lake keys (server side; the bucket's default SSE-KMS applies)."""

    def __init__(self, s3: Any, bucket: str, temp_prefix: str) -> None:
        self.s3, self.bucket, self.temp_prefix = s3, bucket, temp_prefix.rstrip("/") + "/"

    def _current(self, spec: ObjectSpec) -> Mapping[str, Any]:
        try:
            return self.s3.head_object(Bucket=spec.bucket, Key=spec.key)
        except Exception as error:
            rejection = _rejection_of(error)
            if rejection is None:
                raise
            raise ObjectChanged(f"{spec.key} is gone: {error}") from error

    def _is_version(self, spec: ObjectSpec, head: Mapping[str, Any]) -> bool:
        if spec.version_id:
            return head.get("VersionId") == spec.version_id
        return str(head.get("ETag", "")).strip('"') == spec.etag

    def readable(self, spec: ObjectSpec, index: int) -> ByteSource:
        head = self._current(spec)
        if not self._is_version(spec, head):
            raise ObjectChanged(f"{spec.key} holds another version than {spec.version_id or spec.etag}")
        return S3Object(spec.bucket, spec.key, spec.version_id, spec.etag, int(head.get("ContentLength", 0)), self.s3.meta.region_name)

    def staging(self, run_id: str) -> str:
        return f"s3://{self.bucket}/{self.temp_prefix}{run_id}/"

    def publish(self, staged: str, key: str, content_type: str) -> None:
        parsed = urlparse(staged)
        self.s3.copy(
            {"Bucket": parsed.netloc, "Key": parsed.path.lstrip("/")},
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type, "MetadataDirective": "REPLACE"},
        )

    def unchanged(self, spec: ObjectSpec) -> bool:
        try:
            return self._is_version(spec, self._current(spec))
        except ObjectChanged:
            return False

    def put_json(self, key: str, document: Mapping[str, Any]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(document).encode("utf-8"), ContentType="application/json")
