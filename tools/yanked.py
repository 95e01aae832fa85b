#!/usr/bin/env python3
"""Refuses lock files that pin a yanked crate.

Usage: tools/yanked.py LOCKFILE...

Reads every registry package of each Cargo.lock given and asks the crates.io index (the sparse
index at index.crates.io, the registry CI may reach) whether that exact version is yanked. Prints
each yanked one with the lock file that holds it and exits 1; exits 0 when there are none; exits
2 when the index cannot be read, since an unchecked lock file must not pass as a clean one.
"""

import concurrent.futures
import json
import re
import sys
import time
import urllib.error
import urllib.request

INDEX = "https://index.crates.io"
PACKAGE = re.compile(r'name = "([^"]+)"\nversion = "([^"]+)"\nsource = "registry\+[^"]*crates.io-index"')


def index_path(name):
    """The crate's file in the sparse index (https://doc.rust-lang.org/cargo/reference/registry-index.html)."""
    name = name.lower()
    if len(name) <= 2:
        return f"{len(name)}/{name}"
    if len(name) == 3:
        return f"3/{name[0]}/{name}"
    return f"{name[:2]}/{name[2:4]}/{name}"


def yanked_versions(name, attempts=4):
    """The crate's yanked versions. A failed request (a name that does not resolve for a moment,
    a reset connection) is tried again after 1, 2 and 4 s; a crate the index does not have is not."""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(f"{INDEX}/{index_path(name)}", timeout=30) as answer:
                lines = answer.read().decode().splitlines()
            return {entry["vers"] for entry in map(json.loads, lines) if entry.get("yanked")}
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(2**attempt)
    return set()


def main(paths):
    packages = {}
    for path in paths:
        with open(path, encoding="utf-8") as lock:
            for name, version in PACKAGE.findall(lock.read()):
                packages.setdefault((name, version), []).append(path)
    names = sorted({name for name, _ in packages})
    try:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            yanked = dict(zip(names, pool.map(yanked_versions, names)))
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"yanked.py: cannot read the crates.io index ({error})", file=sys.stderr)
        return 2
    found = sorted((name, version) for name, version in packages if version in yanked[name])
    for name, version in found:
        for path in packages[(name, version)]:
            print(f"{path}: {name} {version} is yanked; update it (cargo update -p {name})")
    print(f"yanked.py: {len(packages)} locked crates in {len(paths)} lock files, {len(found)} yanked")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
