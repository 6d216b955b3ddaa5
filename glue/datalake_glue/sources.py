"""Where a raw object's bytes are read from, by the Spark tasks that read it.

The job reads raw objects as bytes itself rather than through Hadoop's text input: the processor's
rules are byte rules (gzip recognised by its magic number, lines checked as UTF-8 before decoding,
a line's length in bytes), and Hadoop decides gzip by the file name, decodes lines with U+FFFD
silently and fails on bytes after the last gzip member. A source is picklable (it holds only where
the object is) and opens its stream in the process that reads it, from any byte offset, so a JSON
Lines object is read in byte ranges by many tasks.

Example::

    source = LocalFile("/tmp/raw/a.jsonl", size=1234)
    for chunk in source.chunks(start=600):
        ...
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional, Protocol

#: Bytes read at once.
CHUNK_BYTES = 1 << 20


class ByteSource(Protocol):
    """An object's bytes, readable from any offset, in chunks of at most ``chunk_bytes``."""

    @property
    def size(self) -> int: ...

    def chunks(self, start: int = 0, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class LocalFile:
    """A local file (the parity tests, the benchmark, and objects downloaded from an emulator)."""

    path: str
    size: int

    def chunks(self, start: int = 0, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        with open(self.path, "rb") as stream:
            stream.seek(start)
            while True:
                data = stream.read(chunk_bytes)
                if not data:
                    return
                yield data


@dataclass(frozen=True)
class S3Object:
    """One version of an S3 object (by version id, else by ETag), read with ranged GETs from the task's own client."""

    bucket: str
    key: str
    version_id: Optional[str]
    etag: str
    size: int
    region: Optional[str] = None

    def _client(self) -> Any:
        import boto3

        return boto3.client("s3", **({"region_name": self.region} if self.region else {}))

    def chunks(self, start: int = 0, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        if start >= self.size:
            return
        selector = {"VersionId": self.version_id} if self.version_id else {"IfMatch": f'"{self.etag}"'} if self.etag else {}
        body = self._client().get_object(Bucket=self.bucket, Key=self.key, Range=f"bytes={start}-", **selector)["Body"]
        try:
            while True:
                data = body.read(chunk_bytes)
                if not data:
                    return
                yield data
        finally:
            body.close()
