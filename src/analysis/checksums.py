"""Raw data is immutable: a ``SHA256SUMS`` file beside a chapter pins its bytes."""

from __future__ import annotations

from pathlib import Path

from .errors import ChecksumError, InputError
from .io import sha256_of
from .paths import CHECKSUM_FILE


def read_manifest(manifest: Path) -> dict[str, str]:
    sums = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise InputError(manifest, f"line {number}: expected '<sha256>  <file name>'")
        sums[name] = digest.lower()
    return sums


def verify_checksums(files: list[Path]) -> None:
    """Refuse a chapter whose bytes differ from those recorded in a ``SHA256SUMS`` beside it.

    Files in folders without a manifest, or not listed in it, are not checked: only the
    embedded corpus (and any folder a user chooses to pin) is.
    """
    for file in files:
        manifest = file.parent / CHECKSUM_FILE
        if not manifest.exists():
            continue
        expected = read_manifest(manifest).get(file.name)
        if expected is None:
            continue
        actual = sha256_of(file)
        if actual != expected:
            raise ChecksumError(
                file,
                f"SHA-256 is {actual[:12]}…, but {manifest.name} records {expected[:12]}…: raw data must "
                "not be edited; restore it with `git checkout -- data/raw` (or pass a copy with --input)",
            )
