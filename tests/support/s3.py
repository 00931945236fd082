"""Pytest fixtures for S3 tests: moto's standalone server over real HTTP, never mock_aws."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from podcast.storage import S3Storage

TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


AUTH_FREE_REQUESTS = 1


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def s3_client(endpoint: str) -> object:
    """A plain boto3 client for arranging and inspecting test state."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


class MotoProcess:
    """A moto server in its own process, so stopping it really drops every connection."""

    def __init__(self, *, authenticated: bool = False) -> None:
        """Start the server on a free port and wait until it accepts connections."""
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        if authenticated:
            # moto then checks signatures against its IAM users after this many free requests.
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(AUTH_FREE_REQUESTS)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        """Kill the server; later requests get 'connection refused'."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of an S3 endpoint: PODCAST_TEST_S3_ENDPOINT_URL, or a moto server started here."""
    for name, value in TEST_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    configured = os.environ.get("PODCAST_TEST_S3_ENDPOINT_URL")
    if configured:
        yield configured
        return
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _empty_and_delete(client: object, bucket: str) -> None:
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Iterator[str]:
    """A fresh, uniquely named bucket, emptied and deleted afterwards."""
    client = s3_client(s3_endpoint)
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=bucket)
    yield bucket
    with contextlib.suppress(Exception):  # a test may have dropped the bucket itself
        _empty_and_delete(client, bucket)


@pytest.fixture
def s3_storage(s3_endpoint: str, s3_bucket: str) -> S3Storage:
    """An S3Storage on a fresh bucket, under the key prefix "media"."""
    return S3Storage(s3_bucket, "media", endpoint_url=s3_endpoint)


@pytest.fixture
def moto_server_factory() -> Iterator[Callable[..., MotoProcess]]:
    """Start separate moto servers (each with its own state) that a test may stop."""
    started: list[MotoProcess] = []

    def start(*, authenticated: bool = False) -> MotoProcess:
        server = MotoProcess(authenticated=authenticated)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's test credentials in the environment for this test."""
    for name, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
