"""Pick a ROS domain nobody on this host uses, so tools and tests never talk to strangers.

Two checks: an flock per id, so parallel runs of ours (tests, demos, eval-bag) never pick the
same id even before their participants exist, and the domain's discovery port, so a domain a
foreign process already uses is skipped. Only ids whose ports stay clear of Linux's ephemeral
range are used (1..101, 215..232; ROS 2 docs), 215..232 first, away from tools that pick a
random low domain.

Fast DDS binds UDP port 7400 + 250 * domain + 10 + 2 * participant for each participant's
discovery unicast traffic (the RTPS well-known port formula); participant 0's port is held
exactly while the domain has a participant on this host. Checking it needs no discovery
round and no waiting.
"""

from __future__ import annotations

import fcntl
import random
import socket
import tempfile
from pathlib import Path

PORT_BASE, DOMAIN_GAIN, UNICAST_OFFSET = 7400, 250, 10
MAX_DOMAIN_ID = 232  # the largest domain whose ports stay below 65536 (ROS 2 docs)
_held: list = []  # domain lock files, kept open for the life of the process


def domain_in_use(domain_id: int) -> bool:
    """True when a DDS participant on this host holds the domain's first discovery port."""
    port = PORT_BASE + DOMAIN_GAIN * domain_id + UNICAST_OFFSET
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def free_domain_id() -> int:
    """A domain id no process of ours has locked and no participant on this host uses."""
    top, rest = list(range(215, MAX_DOMAIN_ID + 1)), list(range(1, 102))
    random.shuffle(top)
    random.shuffle(rest)
    for domain in top + rest:
        handle = open(Path(tempfile.gettempdir()) / f"zsris_ros_domain_{domain}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        if domain_in_use(domain):
            handle.close()
            continue
        _held.append(handle)
        return domain
    raise RuntimeError(f"no free ROS domain id (1..101, 215..{MAX_DOMAIN_ID})")
