"""The vendored front-end assets match VERSIONS.json, and the refresh script refuses tampered tarballs."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_assets", module)
    spec.loader.exec_module(module)
    return module


va = _load_script()


def test_committed_assets_match_versions_json() -> None:
    assert va.check() == []


def test_versions_json_records_the_pinned_packages() -> None:
    manifest = json.loads((va.VENDOR_DIR / "VERSIONS.json").read_text(encoding="utf-8"))
    recorded = {entry["package"]: entry for entry in manifest["packages"]}
    assert {name: entry["version"] for name, entry in recorded.items()} == {
        p.name: p.version for p in va.PACKAGES
    }
    assert set(recorded) == {"htmx.org", "echarts", "bootstrap"}
    for entry in recorded.values():
        assert entry["tarball"].startswith("https://registry.npmjs.org/")
        assert entry["integrity"].startswith("sha512-")
        assert all(len(f["sha256"]) == 64 for f in entry["files"])


def test_pages_load_the_files_that_are_vendored() -> None:
    templates = ROOT / "src" / "shegong" / "templates"
    used = "".join(
        p.read_text(encoding="utf-8")
        for p in (
            templates / "base.html",
            templates / "desk" / "base.html",
            templates / "dashboard" / "base.html",
        )
    )
    for name in (
        "bootstrap/bootstrap.min.css",
        "bootstrap/bootstrap.bundle.min.js",
        "htmx.org/htmx.min.js",
        "echarts/echarts.min.js",
    ):
        assert f"vendor/{name}" in used
        assert (va.VENDOR_DIR / name).is_file()


@pytest.fixture
def vendor_copy(tmp_path: Path) -> Path:
    target = tmp_path / "vendor"
    shutil.copytree(va.VENDOR_DIR, target)
    assert va.check(target) == []
    return target


def test_check_finds_a_modified_file(vendor_copy: Path) -> None:
    path = vendor_copy / "htmx.org" / "htmx.min.js"
    path.write_bytes(path.read_bytes() + b"/* changed */")
    assert va.check(vendor_copy) == ["htmx.org/htmx.min.js: sha256 differs from VERSIONS.json"]


def test_check_finds_missing_and_unlisted_files(vendor_copy: Path) -> None:
    (vendor_copy / "echarts" / "NOTICE").unlink()
    (vendor_copy / "echarts" / "extra.js").write_text("x", encoding="utf-8")
    assert va.check(vendor_copy) == [
        "echarts/NOTICE: missing",
        "echarts/extra.js: not listed in VERSIONS.json",
    ]


def test_check_finds_a_version_that_differs_from_the_pin(vendor_copy: Path) -> None:
    manifest_path = vendor_copy / "VERSIONS.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["packages"][0]["version"] = "0.0.1"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    problems = va.check(vendor_copy)
    assert len(problems) == 1
    assert "0.0.1" in problems[0]


def test_check_without_versions_json(tmp_path: Path) -> None:
    assert "missing" in va.check(tmp_path)[0]


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_integrity_is_verified() -> None:
    tarball = _tarball({"dist/a.min.js": b"var a;"})
    va.verify_integrity(tarball, _sri(tarball))
    with pytest.raises(va.VendorError):
        va.verify_integrity(tarball + b"\0", _sri(tarball))
    with pytest.raises(va.VendorError):
        va.verify_integrity(tarball, "sha1-" + base64.b64encode(hashlib.sha1(tarball).digest()).decode())  # noqa: S324


def test_extract_takes_only_the_named_files_and_drops_source_map_comments() -> None:
    tarball = _tarball(
        {
            "dist/a.min.js": b"var a=1;\n//# sourceMappingURL=a.min.js.map\n",
            "dist/a.min.css": b"p{color:red}\n/*# sourceMappingURL=a.min.css.map */",
            "dist/other.js": b"not wanted",
            "LICENSE": b"MIT",
        }
    )
    files = va.extract(
        tarball, {"dist/a.min.js": "a.min.js", "dist/a.min.css": "a.min.css", "LICENSE": "LICENSE"}
    )
    assert files == {"a.min.js": b"var a=1;\n", "a.min.css": b"p{color:red}\n", "LICENSE": b"MIT"}
    with pytest.raises(va.VendorError):
        va.extract(tarball, {"dist/missing.js": "missing.js"})


def test_downloads_only_from_the_npm_registry() -> None:
    with pytest.raises(va.VendorError):
        va._get("https://example.com/evil.tgz")


def test_check_mode_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert va.main(["--check"]) == 0
    assert "OK" in capsys.readouterr().out
