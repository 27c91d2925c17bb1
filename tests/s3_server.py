"""A real S3 API on 127.0.0.1 for the object-storage warehouse tests: moto's server mode
(``ThreadedMotoServer``, an HTTP server speaking the S3 REST API; nothing is patched in-process,
s3fs, pyarrow and DuckDB talk HTTP to it as to AWS)."""
from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def env(self, **extra: str) -> dict[str, str]:
        """The standard AWS variables the warehouse reads (the only credential source it uses)."""
        return {"AWS_ACCESS_KEY_ID": "moto-test-key", "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1", **extra}

    def new_bucket(self) -> str:
        import s3fs

        name = f"warehouse-{uuid.uuid4().hex[:10]}"
        fs = s3fs.S3FileSystem(key="moto-test-key", secret=SECRET, endpoint_url=self.endpoint,
                               client_kwargs={"region_name": "us-east-1"}, skip_instance_cache=True)
        fs.call_s3("create_bucket", Bucket=name)
        return name


SECRET = "moto-secret-never-logged-7f3a"  # asserted absent from every message and log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
