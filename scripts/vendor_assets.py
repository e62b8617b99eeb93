"""Refresh or verify the vendored front-end assets under src/shegong/static/vendor/.

    python scripts/vendor_assets.py           # download the pinned versions from the npm registry
    python scripts/vendor_assets.py --check   # verify the committed files against VERSIONS.json (no network)

Installing the product needs no Node.js: this script reads the npm registry's JSON metadata for each pinned
version, downloads the tarball, checks it against the registry's `dist.integrity` (sha512, Subresource
Integrity format), and extracts only the minified files the pages load, plus the licence files. It records
what it wrote in VERSIONS.json (version, tarball URL, integrity, sha256 of every file), which `--check`
and the test suite verify. Python standard library only.

To upgrade a package, change its version in PACKAGES, run the script, look at the diff, run the tests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "src" / "shegong" / "static" / "vendor"
MANIFEST = "VERSIONS.json"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # path inside the tarball (below "package/") → path below vendor/<name>/
    files: dict[str, str]


PACKAGES = [
    # htmx 2.x: the stable line (4.x changed the request machinery and event names).
    Package("htmx.org", "2.0.11", {"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"}),
    Package(
        "echarts",
        "5.6.0",
        {"dist/echarts.min.js": "echarts.min.js", "LICENSE": "LICENSE", "NOTICE": "NOTICE"},
    ),
    Package(
        "bootstrap",
        "5.3.9",
        {
            "dist/css/bootstrap.min.css": "bootstrap.min.css",
            "dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
            "LICENSE": "LICENSE",
        },
    ),
]

# The minified files end with a sourceMappingURL comment naming a .map file we do not ship; Django's
# ManifestStaticFilesStorage (whitenoise) follows those comments during collectstatic and fails on a missing
# file, so the comment line is removed. The recorded sha256 is of the file as written.
_SOURCE_MAP = re.compile(rb"//# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/")


class VendorError(Exception):
    pass


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_integrity(data: bytes, integrity: str) -> None:
    """Raise unless `data` matches an SRI string such as 'sha512-<base64>' (the registry's dist.integrity)."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise VendorError(f"unsupported integrity value {integrity!r} (expected sha512-…)")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise VendorError("tarball does not match the registry's sha512 integrity")


def strip_source_map(data: bytes) -> bytes:
    """Drop a trailing sourceMappingURL comment line, keeping everything else byte for byte."""
    head, _, last = data.rstrip(b"\n").rpartition(b"\n")
    if _SOURCE_MAP.fullmatch(last.strip()):
        return head + b"\n"
    return data


def extract(tarball: bytes, files: dict[str, str]) -> dict[str, bytes]:
    """The named members of an npm tarball (all under 'package/'), by destination path."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, dest in files.items():
            try:
                member = archive.getmember(f"package/{source}")
            except KeyError as exc:
                raise VendorError(f"{source} is not in the tarball") from exc
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                raise VendorError(f"{source} is not a regular file")
            out[dest] = strip_source_map(handle.read())
    return out


def _get(url: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise VendorError(f"refusing to download from outside the npm registry: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (https only)
        data: bytes = response.read()
    return data


def fetch_package(package: Package) -> tuple[dict[str, object], dict[str, bytes]]:
    """Download and verify one package; returns its VERSIONS.json entry and the files to write."""
    metadata = json.loads(_get(f"{REGISTRY}/{package.name}/{package.version}"))
    dist = metadata["dist"]
    tarball_url: str = dist["tarball"]
    integrity: str = dist["integrity"]
    tarball = _get(tarball_url)
    verify_integrity(tarball, integrity)
    files = extract(tarball, package.files)
    entry: dict[str, object] = {
        "package": package.name,
        "version": package.version,
        "tarball": tarball_url,
        "integrity": integrity,
        "license": metadata.get("license", ""),
        "files": [
            {"path": f"{package.name}/{dest}", "source": f"package/{src}", "sha256": sha256_hex(files[dest])}
            for src, dest in package.files.items()
        ],
    }
    return entry, files


def refresh(vendor_dir: Path = VENDOR_DIR) -> None:
    entries = []
    for package in PACKAGES:
        print(f"{package.name}@{package.version} …", flush=True)
        entry, files = fetch_package(package)
        target = vendor_dir / package.name
        if target.exists():
            for old in sorted(target.rglob("*"), reverse=True):
                old.unlink() if old.is_file() else old.rmdir()
        for dest, data in files.items():
            path = target / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"  {path.relative_to(vendor_dir)} ({len(data):,} bytes)")
        entries.append(entry)
    manifest = {
        "generated_by": "scripts/vendor_assets.py",
        "registry": REGISTRY,
        "note": "trailing sourceMappingURL comments are removed; sha256 is of each file as committed",
        "packages": entries,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (vendor_dir / MANIFEST).write_text(text, encoding="utf-8")
    print(f"wrote {vendor_dir / MANIFEST}")


def check(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Problems found comparing the vendored files with VERSIONS.json and PACKAGES (empty list: all good)."""
    manifest_path = vendor_dir / MANIFEST
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing; run scripts/vendor_assets.py"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems: list[str] = []
    recorded = {entry["package"]: entry for entry in manifest.get("packages", [])}
    expected_paths = {MANIFEST}
    for package in PACKAGES:
        entry = recorded.get(package.name)
        if entry is None:
            problems.append(f"{package.name}: not recorded in {MANIFEST}")
            continue
        if entry["version"] != package.version:
            pinned = package.version
            problems.append(f"{package.name}: {MANIFEST} has {entry['version']}, the script pins {pinned}")
        wanted = {f"{package.name}/{dest}" for dest in package.files.values()}
        listed = {f["path"] for f in entry["files"]}
        if wanted != listed:
            problems.append(f"{package.name}: files differ from the script's list: {sorted(wanted ^ listed)}")
        for item in entry["files"]:
            expected_paths.add(item["path"])
            path = vendor_dir / item["path"]
            if not path.is_file():
                problems.append(f"{item['path']}: missing")
            elif sha256_hex(path.read_bytes()) != item["sha256"]:
                problems.append(f"{item['path']}: sha256 differs from {MANIFEST}")
    for extra in sorted(p.relative_to(vendor_dir).as_posix() for p in vendor_dir.rglob("*") if p.is_file()):
        if extra not in expected_paths:
            problems.append(f"{extra}: not listed in {MANIFEST}")
    for name in sorted(set(recorded) - {p.name for p in PACKAGES}):
        problems.append(f"{name}: recorded in {MANIFEST} but no longer pinned")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files; no network")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem)
        print("vendored assets: OK" if not problems else f"vendored assets: {len(problems)} problem(s)")
        return 1 if problems else 0
    try:
        refresh()
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
