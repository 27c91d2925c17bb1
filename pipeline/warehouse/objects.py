"""The warehouse on object storage: ``TRADE_WAREHOUSE_DIR=s3://bucket/prefix`` (or ``gs://``).

Written and read through fsspec (``s3fs``; ``gcsfs`` for ``gs://``, not installed by default and
not tested here) as :class:`upath.UPath` paths, so the code that reads a snapshot (the IO
manager, the briefs) is the same for a directory and a prefix. Layout (:mod:`.object_publish`)::

    s3://bucket/prefix/CURRENT                            THE switch: one line, the snapshot's URL
    s3://bucket/prefix.publish/snapshots/<id>/<table>/year=<y>/part-<hash>.parquet, catalog.json, _raw/, briefs/
    s3://bucket/prefix.publish/lock                       one writer at a time (:mod:`.object_lock`)
    s3://bucket/prefix.publish/previous                   the snapshot the last switch replaced (the code
                                                          before; now catalog.json's previous_snapshot)

Credentials come from the standard AWS environment variables only (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, optionally ``AWS_SESSION_TOKEN``), passed explicitly so that no
other credential source (``~/.aws``, instance metadata) is consulted; the endpoint from
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (an S3-compatible store, or the tests' moto
server), the region from ``AWS_REGION`` or ``AWS_DEFAULT_REGION``. No message of this module
holds a key or a secret: they are named, never shown.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("s3", "gs")
POINTER = "CURRENT"  # in the root prefix: the URL of the visible snapshot
KEY_SETTINGS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


class ObjectStoreSettingError(ValueError):
    """TRADE_WAREHOUSE_DIR names object storage this process cannot use; the message names the setting."""


def is_remote(root: Any) -> bool:
    """True for a URL with a scheme (``s3://``, ``gs://``, or one that is refused): not a local path."""
    text = str(root) if not hasattr(root, "protocol") else f"{root.protocol}://"
    return "://" in text


def scheme(root: Any) -> str:
    return urlsplit(str(root)).scheme


def endpoint(env: Mapping[str, str]) -> tuple[str, str | None]:
    """The endpoint setting in force and its value (``AWS_ENDPOINT_URL_S3`` over ``AWS_ENDPOINT_URL``)."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if env.get(name):
            return name, env[name]
    return "AWS_ENDPOINT_URL", None


def storage_options(url: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """fsspec options for ``url`` from the environment (module docstring); raises
    :class:`ObjectStoreSettingError` naming the setting that is missing or unknown."""
    env = os.environ if env is None else env
    kind = scheme(url)
    parts = urlsplit(str(url))
    if kind not in SCHEMES:
        raise ObjectStoreSettingError(
            f"TRADE_WAREHOUSE_DIR={url}: the scheme {kind}:// is not supported; use a local directory, "
            "s3://bucket/prefix or gs://bucket/prefix")
    if not parts.netloc:
        raise ObjectStoreSettingError(f"TRADE_WAREHOUSE_DIR={url} names no bucket: write {kind}://bucket/prefix")
    if kind == "gs":
        return {}  # gcsfs reads GOOGLE_APPLICATION_CREDENTIALS itself
    if missing := [n for n in KEY_SETTINGS if not env.get(n)]:
        raise ObjectStoreSettingError(
            f"TRADE_WAREHOUSE_DIR={url} is on S3 but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set: credentials are read from the standard AWS environment variables only (AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN); set them in the environment or .env")
    options: dict[str, Any] = {
        "key": env["AWS_ACCESS_KEY_ID"], "secret": env["AWS_SECRET_ACCESS_KEY"],
        "use_listings_cache": False,  # another writer's objects are seen at once
        # Short waits: an unreachable endpoint fails in seconds, not after botocore's minutes.
        "config_kwargs": {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 3}},
    }
    if env.get("AWS_SESSION_TOKEN"):
        options["token"] = env["AWS_SESSION_TOKEN"]
    if (url_endpoint := endpoint(env)[1]) is not None:
        options["endpoint_url"] = url_endpoint
    if region := env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"):
        options["client_kwargs"] = {"region_name": region}
    return options


def as_path(root: Any):
    """``root`` as a path: a :class:`pathlib.Path` for a local directory, a :class:`upath.UPath`
    bound to the environment's credentials for an object-store URL (left as it is when it is a
    UPath already)."""
    if hasattr(root, "protocol") and hasattr(root, "fs"):
        return root
    if not is_remote(root):
        return Path(root)
    from upath import UPath

    return UPath(str(root).rstrip("/"), **storage_options(str(root)))


def etag_of(info: Mapping[str, Any]) -> str | None:
    """An object's version tag in an fsspec ``info``, whatever the backend calls it (s3fs:
    ``ETag``; gcsfs: ``etag`` or ``generation``)."""
    return info.get("ETag") or info.get("etag") or info.get("generation")


def url(path: Any) -> str:
    """The URL of a UPath (``s3://bucket/key``), or a local path's text."""
    return f"{path.protocol}://{path.path}" if hasattr(path, "protocol") else str(path)


def arrow_source(path: Any) -> tuple[str, Any]:
    """``(path, filesystem)`` for pyarrow: the key and the fsspec filesystem of a UPath, or
    ``(str(path), None)`` for a local one."""
    if hasattr(path, "protocol") and hasattr(path, "fs"):
        return path.path, path.fs
    return str(path), None


def resolve(root: Any):
    """A snapshot to read: for a warehouse root (a prefix holding ``CURRENT``), the snapshot that
    pointer names, read once; for anything else (a snapshot or a run's staging), itself."""
    path = as_path(root)
    if not hasattr(path, "protocol"):
        return path
    pointer = path / POINTER
    try:
        target = pointer.read_text().strip()
    except FileNotFoundError:
        return path
    return as_path(target) if target else path


def preflight_problem(value: str, env: Mapping[str, str]) -> str | None:
    """Why TRADE_WAREHOUSE_DIR=``value`` (an object-store URL) cannot be used, or None: an
    unknown scheme, missing credentials, an endpoint or bucket that cannot be reached, keys the
    store refuses. One short request (a HEAD of the bucket), done before the run starts."""
    try:
        options = storage_options(value, env)
    except ObjectStoreSettingError as exc:
        return str(exc)
    bucket = urlsplit(value).netloc
    try:
        import fsspec

        fs = fsspec.filesystem(scheme(value), skip_instance_cache=True, **options)
    except ImportError:
        backend = {"s3": "s3fs", "gs": "gcsfs"}[scheme(value)]
        return (f"TRADE_WAREHOUSE_DIR={value}: {scheme(value)}:// needs the fsspec backend {backend}, which is not "
                f"installed: pip install {backend} (into .venv)")
    if scheme(value) != "s3":
        return None
    name, where = endpoint(env)
    at = f"{name}={where}" if where else "AWS's endpoint (AWS_ENDPOINT_URL unset)"
    try:
        fs.call_s3("head_bucket", Bucket=bucket)
    except FileNotFoundError:
        return (f"TRADE_WAREHOUSE_DIR={value}: the bucket {bucket} does not exist at {at}: create it, or fix "
                "the bucket name or the endpoint")
    except PermissionError:
        return (f"TRADE_WAREHOUSE_DIR={value}: the store at {at} refuses the credentials of AWS_ACCESS_KEY_ID / "
                f"AWS_SECRET_ACCESS_KEY for bucket {bucket}: check them and the bucket's policy")
    except Exception as exc:  # botocore's connection errors are no OSError
        return (f"TRADE_WAREHOUSE_DIR={value}: the bucket {bucket} cannot be reached at {at} "
                f"({type(exc).__name__}): check {name} and the network")
    return None
