"""Seeded identifiers and timestamp formats shared by the demo generator modules.

Everything here draws from a caller-supplied ``random.Random`` so that the whole trail is
reproducible from one seed.
"""

from __future__ import annotations

import random
import string
import time

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
#: Characters AWS uses in access key and unique principal identifiers (base32 alphabet).
KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4(rng: random.Random) -> str:
    """A UUID version 4 string built from 128 seeded random bits."""
    n = (rng.getrandbits(128) & _V4_CLEAR) | _V4_SET
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def alnum(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choices(alphabet, k=n))


def hex_digits(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def key_id(rng: random.Random, prefix: str) -> str:
    """An AWS-style 20 character identifier: ``AKIA``/``ASIA``/``AIDA``/``AROA`` + 16 chars."""
    return prefix + "".join(rng.choices(KEY_ALPHABET, k=16))


def iso(t: int) -> str:
    """CloudTrail ``eventTime`` format: ``2026-11-20T18:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def java_time(t: int) -> str:
    """Timestamp format found inside RDS responseElements: ``Nov 20, 2026, 6:00:00 PM``."""
    tm = time.gmtime(t)
    hour12 = tm.tm_hour % 12 or 12
    ampm = "AM" if tm.tm_hour < 12 else "PM"
    return (
        f"{time.strftime('%b', tm)} {tm.tm_mday}, {tm.tm_year}, "
        f"{hour12}:{tm.tm_min:02d}:{tm.tm_sec:02d} {ampm}"
    )


def file_stamp(t: int) -> str:
    """Log file name stamp: ``20261120T1805Z``."""
    return time.strftime("%Y%m%dT%H%MZ", time.gmtime(t))


def digest_stamp(t: int) -> str:
    """Digest file name stamp: ``20261120T190212Z`` (with seconds, as CloudTrail writes it)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def date_path(t: int) -> tuple[str, str, str]:
    tm = time.gmtime(t)
    return f"{tm.tm_year:04d}", f"{tm.tm_mon:02d}", f"{tm.tm_mday:02d}"
