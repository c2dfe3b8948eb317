"""Counter-based Gaussian noise: a standard normal draw that is a pure function of ``(seed, step)``.

TensorFlow's ``noisy_linear_cosine_decay`` draws its noise from a stateful generator, so the rate at
a step depends on how often the schedule was called before. Here the draw at step ``t`` is computed
from the pair ``(seed, t)`` alone: BLAKE2b of the pair gives two independent uniform numbers, and
the Box-Muller transform turns them into one standard normal number. Any step can be evaluated in
any order, on any machine, with the same result.
"""

from __future__ import annotations

import hashlib
import math
import struct

__all__ = ["standard_normal"]

_TWO_POW_53 = float(1 << 53)


def standard_normal(seed: int, step: float) -> float:
    """A draw from :math:`\\mathcal{N}(0, 1)` determined by ``(seed, step)`` (Box & Muller 1958)."""
    key = struct.pack("<qd", int(seed), float(step))
    digest = hashlib.blake2b(key, digest_size=16, person=b"optimbook-noise").digest()
    a, b = struct.unpack("<QQ", digest)
    u1 = ((a >> 11) + 1) / _TWO_POW_53  # in (0, 1]: log(u1) is finite
    u2 = (b >> 11) / _TWO_POW_53  # in [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
