"""Build `rdstrail_tui/zdict.bin`, the zstd dictionary new caches compress records with.

    python tools/build_zdict.py [--events 40000] [--size 65536]

Trains on the RDS records of a demo trail made with a seed other than the shipped demo's, so
the dictionary learns CloudTrail's shape (keys, identity blocks, RDS response structure)
rather than the demo's exact values. A cache stores the dictionary it was created with, so
rebuilding this file never affects existing caches.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import zstandard

from rdstrail_tui.demo.generator import generate
from rdstrail_tui.ingest.formats import decode_file
from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.sources.files import discover

TRAINING_SEED = 20261124
TARGET = Path(__file__).resolve().parent.parent / "rdstrail_tui" / "zdict.bin"


def rds_samples(trail: Path) -> list[bytes]:
    samples: list[bytes] = []
    needle = f'"eventSource":"{RDS_EVENT_SOURCE}"'.encode()
    for path in discover([trail]).files:
        for _, raw in decode_file(path).records:
            if raw is not None and needle in raw:
                samples.append(raw)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--size", type=int, default=64 * 1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        generate(Path(scratch), args.events, seed=TRAINING_SEED)
        samples = rds_samples(Path(scratch))
    # A list of any bytes-like object (lists are invariant: a list[bytes] is not one).
    training: list[bytes | bytearray | memoryview] = list(samples)
    dictionary = zstandard.train_dictionary(args.size, training, level=3, threads=-1)
    TARGET.write_bytes(dictionary.as_bytes())
    plain = sum(map(len, samples))
    packed = zstandard.ZstdCompressor(level=3, dict_data=dictionary)
    ratio = sum(len(packed.compress(s)) for s in samples) / plain
    size = len(dictionary.as_bytes())
    print(f"{len(samples):,} samples, {plain / 1e6:.1f} MB -> {TARGET} ({size:,} bytes)")
    print(f"records compress to {ratio:.1%} with it")


if __name__ == "__main__":
    main()
