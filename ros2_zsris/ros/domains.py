"""Pick a ROS domain nobody on this host uses, so tools and tests never talk to strangers.

Fast DDS binds UDP port 7400 + 250 * domain + 10 + 2 * participant for each participant's
discovery unicast traffic (the RTPS well-known port formula); participant 0's port is held
exactly while the domain has a participant on this host. Checking it needs no discovery
round and no waiting.
"""

from __future__ import annotations

import random
import socket

PORT_BASE, DOMAIN_GAIN, UNICAST_OFFSET = 7400, 250, 10
MAX_DOMAIN_ID = 232  # the largest domain whose ports stay below 65536 (ROS 2 docs)


def domain_in_use(domain_id: int) -> bool:
    """True when a DDS participant on this host holds the domain's first discovery port."""
    port = PORT_BASE + DOMAIN_GAIN * domain_id + UNICAST_OFFSET
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def free_domain_id(low: int = 100, high: int = MAX_DOMAIN_ID, rng: random.Random | None = None) -> int:
    """A domain id in [low, high] with no participant on this host, chosen at random so that
    two processes picking at the same moment rarely collide."""
    candidates = list(range(low, high + 1))
    (rng or random.Random()).shuffle(candidates)
    for domain_id in candidates:
        if not domain_in_use(domain_id):
            return domain_id
    raise RuntimeError(f"every ROS domain in {low}..{high} has a participant on this host")
