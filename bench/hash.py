"""Streaming SHA-256 of a large attachment, beside ``sha256sum`` of the same file.

What is compared, in the same run, on the same file (1 GiB by default):

- ``ours``: :func:`provenance.blobs.sha256_file`, in this process: 1 MiB chunks
  read with ``readinto`` into one reused buffer, hashed by hashlib (OpenSSL).
- ``sha256sum``: GNU coreutils, as a subprocess (its start-up, about a
  millisecond, is inside its time).
- for reference only: the standard library's ``hashlib.file_digest`` (3.11+),
  and ``openssl dgst -sha256`` when ``openssl`` is on the PATH. GNU
  ``sha256sum`` is often built without OpenSSL and then does not use the CPU's
  SHA instructions, which hashlib's OpenSSL does; ``openssl dgst`` shows what
  native code with those instructions achieves on the same machine.
- ``put``: :meth:`provenance.blobs.BlobStore.put_file`, hash plus copy plus
  fsync into a fresh blob store; bound by the disk's write speed.

One untimed ``sha256sum`` pass first brings the file into the page cache, so
every timed pass reads from memory and the hashing is what is measured. Within
each round the two sides alternate who goes first. The figure of merit is the
median over the rounds of ours / sha256sum (target: at least 0.8).

Memory: each of ours is run again in a fresh Python process, for the large
file and for a 1 MiB file. After its imports the child resets its peak RSS
(``/proc/self/clear_refs``, Linux) and reports its RSS before the work and its
peak during it; flat memory means the peak is the same for both files. (The
child's ``ru_maxrss`` would not do: a process started by a large parent counts
the parent's RSS at exec.) ``sha256sum``'s peak comes from GNU ``time -f %M``
when it is installed. Nothing here asserts a time.

Run: ``python bench/hash.py [--size-mib 1024] [--rounds 3] [--file PATH] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provenance.blobs import CHUNK_SIZE, BlobStore, sha256_file

MiB = 1 << 20

CHILD = """
import resource, sys
from pathlib import Path
from provenance.blobs import BlobStore, sha256_file


def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


try:  # reset the peak RSS, so that it measures the work, not the imports
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before, reset = status("VmRSS"), True
except OSError:
    before, reset = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, False
path = Path(sys.argv[2])
if sys.argv[1] == "hash":
    sha256_file(path)
else:
    BlobStore(Path(sys.argv[3])).put_file(path)
peak = status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, peak)
"""


def make_file(path: Path, size_mib: int) -> None:
    """Write ``size_mib`` MiB of random bytes, one chunk at a time."""
    with path.open("wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(MiB))


def run_child(args: list[str]) -> tuple[str, float]:
    """Run a command; return its stdout and the wall time it took."""
    start = time.perf_counter()
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout
    return out, time.perf_counter() - start


def time_ours(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    digest, _ = sha256_file(path)
    return digest, time.perf_counter() - start


def time_sha256sum(path: Path) -> tuple[str, float]:
    out, elapsed = run_child(["sha256sum", str(path)])
    return out.split()[0], elapsed


def time_openssl(path: Path) -> tuple[str, float]:
    out, elapsed = run_child(["openssl", "dgst", "-sha256", "-r", str(path)])
    return out.split()[0], elapsed


def time_file_digest(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return digest, time.perf_counter() - start


def time_put(path: Path, work: Path) -> tuple[str, float]:
    """Put the file into a fresh blob store (so it is really copied), then remove it."""
    store_dir = work / "store"
    shutil.rmtree(store_dir, ignore_errors=True)
    start = time.perf_counter()
    digest = BlobStore(store_dir).put_file(path).digest
    elapsed = time.perf_counter() - start
    shutil.rmtree(store_dir)
    return digest, elapsed


def rss(mode: str, path: Path, work: Path) -> tuple[int, int]:
    """(RSS before, peak RSS during) in KiB of a fresh Python that hashes (``hash``)
    or stores (``put``) ``path``."""
    store_dir = work / "rss-store"
    shutil.rmtree(store_dir, ignore_errors=True)
    out, _ = run_child([sys.executable, "-c", CHILD, mode, str(path), str(store_dir)])
    shutil.rmtree(store_dir, ignore_errors=True)
    before, peak = map(int, out.split())
    return before, peak


def sha256sum_rss(path: Path) -> int | None:
    """Peak RSS (KiB) of ``sha256sum path`` by GNU time, or None without it."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        return None
    proc = subprocess.run(
        [str(gnu_time), "-f", "%M", "sha256sum", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stderr.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the test file")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds")
    parser.add_argument("--file", type=Path, help="hash this file instead of making one")
    parser.add_argument("--dir", type=Path, help="where to make the file (default: temp dir)")
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        raise SystemExit("sha256sum is not on PATH")

    with tempfile.TemporaryDirectory(prefix="prov-bench-hash-", dir=args.dir) as tmp:
        work = Path(tmp)
        if args.file is not None:
            path = args.file
        else:
            path = work / "big.bin"
            start = time.perf_counter()
            make_file(path, args.size_mib)
            print(
                f"wrote {args.size_mib} MiB of random bytes in {time.perf_counter() - start:.1f} s"
            )
        small = work / "small.bin"
        make_file(small, 1)
        size = path.stat().st_size
        mib = size / MiB
        print(
            f"file: {path} ({mib:.0f} MiB); Python {platform.python_version()}, "
            f"{ssl.OPENSSL_VERSION}; chunk {CHUNK_SIZE // 1024} KiB; {os.cpu_count()} CPUs"
        )
        time_sha256sum(path)  # untimed: bring the file into the page cache

        ratios: list[float] = []
        names = ["ours", "sha256sum", "file_digest", "openssl", "put"]
        if shutil.which("openssl") is None:
            names.remove("openssl")
        rates: dict[str, list[float]] = {name: [] for name in names}
        digests: set[str] = set()
        for r in range(1, args.rounds + 1):
            sides = [("ours", time_ours), ("sha256sum", time_sha256sum)]
            if r % 2 == 0:
                sides.reverse()
            seconds: dict[str, float] = {}
            for name, timer in sides:
                digest, seconds[name] = timer(path)
                digests.add(digest)
            digest, seconds["file_digest"] = time_file_digest(path)
            digests.add(digest)
            if "openssl" in rates:
                digest, seconds["openssl"] = time_openssl(path)
                digests.add(digest)
            digest, seconds["put"] = time_put(path, work)
            digests.add(digest)
            for name, s in seconds.items():
                rates[name].append(mib / s)
            ratio = seconds["sha256sum"] / seconds["ours"]
            ratios.append(ratio)
            others = ", ".join(f"{n} {mib / seconds[n]:.0f}" for n in names[2:])
            print(
                f"round {r}: ours {mib / seconds['ours']:5.0f} MiB/s   "
                f"sha256sum {mib / seconds['sha256sum']:5.0f} MiB/s   "
                f"ratio {ratio:.2f}   ({others} MiB/s)"
            )
        if len(digests) != 1:
            raise SystemExit(f"the sides disagree on the digest: {sorted(digests)}")

        print(f"sha256: {digests.pop()}")
        print("median over rounds:")
        for name in names:
            print(f"  {name:<12} {statistics.median(rates[name]):7.0f} MiB/s")
        print(f"  ratio ours / sha256sum: {statistics.median(ratios):.2f} (target >= 0.8)")
        if "openssl" in rates:
            native = statistics.median(
                o / s for o, s in zip(rates["ours"], rates["openssl"], strict=True)
            )
            print(f"  ratio ours / openssl dgst: {native:.2f}")

        print("memory, KiB (a fresh process; RSS after imports, then peak during the work):")
        for mode, what in (("hash", "sha256_file"), ("put", "put_file")):
            cells = []
            for label, p in (("1 MiB", small), (f"{mib:.0f} MiB", path)):
                before, peak = rss(mode, p, work)
                cells.append(f"{label} file: {before} -> peak {peak} (+{peak - before})")
            print(f"  {what:<12} " + "   ".join(cells))
        small_peak, big_peak = sha256sum_rss(small), sha256sum_rss(path)
        if small_peak is not None and big_peak is not None:
            print(f"  {'sha256sum':<12} peak {small_peak} (1 MiB file), {big_peak} ({mib:.0f} MiB)")


if __name__ == "__main__":
    main()
