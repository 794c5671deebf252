"""Compression of stored records.

A CloudTrail record is 1-3 KB of JSON whose keys and many values repeat across records, so
general compression of one record at a time gains little (about 45%). A zstd preset
dictionary of typical records removes that repetition: about 3x smaller at several hundred
MB/s. The dictionary a cache was created with is stored inside it, so a cache stays readable
whatever dictionary a later version of rdstrail ships.
"""

from __future__ import annotations

from importlib import resources

import zstandard

COMPRESSION_LEVEL = 3


def packaged_dictionary() -> bytes:
    """The dictionary new caches start with (built by `bench/build_zdict.py`)."""
    resource = resources.files("rdstrail_tui.cache").joinpath("zdict.bin")
    return resource.read_bytes() if resource.is_file() else b""


class RecordCodec:
    """Compresses and restores raw records; one per process (zstd contexts are not shared)."""

    def __init__(self, dictionary: bytes) -> None:
        self._dict = (
            zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_AUTO)
            if dictionary
            else None
        )
        self._compressor: zstandard.ZstdCompressor | None = None
        self._decompressor = zstandard.ZstdDecompressor(dict_data=self._dict)

    def compress(self, raw: bytes) -> bytes:
        compressor = self._compressor
        if compressor is None:
            compressor = self._make_compressor()
        return compressor.compress(raw)

    def _make_compressor(self) -> zstandard.ZstdCompressor:
        """Made at the first compress: most opens (the explorer, queries) only read. The
        dictionary's tables are computed once here rather than at every record's compress
        (about a fifth of its cost for a 1 KB record)."""
        if self._dict is not None:
            self._dict.precompute_compress(level=COMPRESSION_LEVEL)
        self._compressor = zstandard.ZstdCompressor(
            level=COMPRESSION_LEVEL,
            dict_data=self._dict,
            write_checksum=False,
            write_dict_id=False,
            write_content_size=True,
        )
        return self._compressor

    def decompress(self, blob: bytes) -> bytes:
        return self._decompressor.decompress(blob)
