"""What a zip / directory / lock file / SBOM really contains: strongroom.vulnscan's inventories per ecosystem."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson

from strongroom.vulnscan.contract import inventory
from strongroom.vulnscan.inventory_go import MAGIC, build_info

LOCKS = Path(__file__).resolve().parents[1] / "data" / "inspector" / "lockfiles"


def _rows(files: dict[str, bytes] | str) -> list[tuple[str, str, str, str]]:
    return [(p.ecosystem, p.name, p.version, p.package_manager) for p in inventory(files)]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_python_lock_files_of_every_kind() -> None:
    rows = _rows(str(LOCKS / "flask-app" / "requirements.txt"))
    assert ("PyPI", "urllib3", "1.26.4", "PIP") in rows  # the pin before a --hash continuation
    assert all(r[1] != "gunicorn" for r in rows)  # a range pins nothing
    assert ("PyPI", "Pillow", "9.0.0", "POETRY") in _rows(str(LOCKS / "poetry-app" / "poetry.lock"))
    pipenv = _rows(str(LOCKS / "pipenv-app" / "Pipfile.lock"))
    assert ("PyPI", "django", "3.2.12", "PIPENV") in pipenv and ("PyPI", "setuptools", "65.3.0", "PIPENV") in pipenv
    uv = _rows(str(LOCKS / "uv-app" / "uv.lock"))
    assert ("PyPI", "urllib3", "2.0.6", "PIP") in uv
    assert all(r[1] != "demo-app" for r in uv)  # the project itself (editable) is no registry package


def test_egg_info_and_dist_info_in_a_lambda_zip() -> None:
    files = {
        "python/lib/python3.12/site-packages/PyYAML-5.3.1.dist-info/METADATA": b"Name: PyYAML\nVersion: 5.3.1\n\n",
        "legacy.egg-info/PKG-INFO": b"Metadata-Version: 1.0\nName: legacy\nVersion: 0.1\n",
        "handler.py": b"print('hi')\n",
    }
    assert _rows(files) == [("PyPI", "legacy", "0.1", "PYTHONPKG"), ("PyPI", "PyYAML", "5.3.1", "PYTHONPKG")]


def test_npm_lock_v3_v1_yarn_and_node_modules() -> None:
    v3 = _rows(str(LOCKS / "node-app" / "package-lock.json"))
    assert ("npm", "minimist", "1.2.5", "NPM") in v3 and ("npm", "minimist", "1.2.6", "NPM") in v3
    assert all(r[1] not in ("node-app", "local-lib") for r in v3)  # the root and links are not packages
    v1 = {
        "lockfileVersion": 1,
        "dependencies": {"a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}}},
    }
    assert _rows({"package-lock.json": orjson.dumps(v1)}) == [
        ("npm", "a", "1.0.0", "NPM"),
        ("npm", "b", "2.0.0", "NPM"),
    ]
    yarn = _rows(str(LOCKS / "yarn-app" / "yarn.lock"))
    assert yarn == [("npm", "lodash", "4.17.15", "YARN"), ("npm", "minimist", "0.0.8", "YARN")]
    berry = (
        b"__metadata:\n  version: 6\n\n"
        b'"@babel/core@npm:^7.0.0":\n  version: 7.20.0\n  resolution: "@babel/core@npm:7.20.0"\n'
    )
    assert _rows({"yarn.lock": berry}) == [("npm", "@babel/core", "7.20.0", "YARN")]
    modules = {
        "node_modules/@aws-sdk/client-s3/package.json": b'{"name": "@aws-sdk/client-s3", "version": "3.1.0"}',
        "node_modules/express/package.json": b'{"name": "express", "version": "4.17.1"}',
        "node_modules/express/lib/router/package.json": b'{"name": "router", "version": "0"}',  # not a package root
        "package.json": b'{"name": "my-function", "version": "1.0.0"}',  # the function itself
    }
    assert _rows(modules) == [
        ("npm", "@aws-sdk/client-s3", "3.1.0", "NODEPKG"),
        ("npm", "express", "4.17.1", "NODEPKG"),
    ]


def _go_binary(modinfo: str, version: str = "go1.21.3") -> bytes:
    """An ELF-looking file with Go ≥ 1.18's inline build info, laid out as the linker writes it."""
    sentinel_a = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
    sentinel_b = bytes.fromhex("f932433186182072008242104116d8f2")
    info = sentinel_a + modinfo.encode() + sentinel_b

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte = n & 0x7F
            n >>= 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    header = MAGIC + bytes([8, 2]) + b"\x00" * 16
    body = header + varint(len(version)) + version.encode() + varint(len(info)) + info
    return b"\x7fELF" + b"\x00" * 60 + body + b"\x00" * 32


def test_go_build_info_go_mod_and_go_sum() -> None:
    modinfo = (
        "path\texample.com/fn\nmod\texample.com/fn\t(devel)\t\n"
        "dep\tgithub.com/aws/aws-lambda-go\tv1.34.1\th1:x=\n"
        "dep\tgolang.org/x/text\tv0.3.0\th1:y=\n=>\tgolang.org/x/text\tv0.3.7\th1:z=\n"
        "build\t-compiler=gc\n"
    )
    binary = _go_binary(modinfo)
    assert list(build_info(binary)) == [
        ("stdlib", "1.21.3"),
        ("github.com/aws/aws-lambda-go", "v1.34.1"),
        ("golang.org/x/text", "v0.3.7"),  # the replacement is what was built
    ]
    rows = _rows({"bootstrap": binary, "LICENSE": b"MIT"})
    assert ("Go", "golang.org/x/text", "v0.3.7", "GOBINARY") in rows and len(rows) == 3
    go = _rows(str(LOCKS / "go-app"))
    assert ("Go", "golang.org/x/text", "v0.3.7", "GOMOD") in go
    assert ("Go", "github.com/aws/aws-lambda-go", "v1.34.1", "GOMOD") in go


def test_maven_coordinates_from_jars_inside_jars() -> None:
    props = b"#Generated by Maven\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n"
    inner = _zip({"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": props})
    outer = _zip({"BOOT-INF/lib/log4j-core-2.14.1.jar": inner, "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})
    packages = inventory({"lib/app.jar": outer})
    assert [(p.name, p.version, p.package_manager, p.file_path) for p in packages] == [
        ("org.apache.logging.log4j:log4j-core", "2.14.1", "JAR", "lib/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar")
    ]
    assert packages[0].purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"


def test_ruby_gemfile_lock_and_gemspecs() -> None:
    rows = _rows(str(LOCKS / "ruby-app" / "Gemfile.lock"))
    assert ("RubyGems", "rack", "2.2.3", "BUNDLER") in rows and len(rows) == 6
    vendored = {"vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.13.9-x86_64-linux.gemspec": b""}
    assert _rows(vendored) == [("RubyGems", "nokogiri", "1.13.9", "GEMSPEC")]


def test_sboms_cyclonedx_and_spdx_by_purl() -> None:
    rows = _rows(str(LOCKS / "sbom.cdx.json"))
    assert ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "POM") in rows
    assert ("Go", "golang.org/x/text", "v0.3.7", "GOMOD") in rows
    assert ("Debian", "openssl", "1.1.1k-1+deb11u1", "OS") in rows
    assert len(rows) == 6  # the component without a purl names nothing
    spdx = {
        "spdxVersion": "SPDX-2.3",
        "packages": [
            {
                "name": "lodash",
                "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}],
            }
        ],
    }
    assert _rows({"app.spdx.json": orjson.dumps(spdx)}) == [("npm", "lodash", "4.17.20", "NPM")]


def test_a_zip_path_and_a_directory_read_only_what_names_packages(tmp_path: Path) -> None:
    archive = tmp_path / "function.zip"
    archive.write_bytes(_zip({"requirements.txt": b"requests==2.19.0\n", "big.bin": b"\x00" * 1000}))
    assert _rows(str(archive)) == [("PyPI", "requests", "2.19.0", "PIP")]
    (tmp_path / "d" / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "d" / "node_modules" / "x" / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "d" / "README").write_text("not a binary")
    site = tmp_path / "d" / "lib" / "python3.12" / "site-packages" / "requests-2.19.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n\n")
    assert sorted(_rows(str(tmp_path / "d"))) == [
        ("PyPI", "requests", "2.19.0", "PYTHONPKG"),
        ("npm", "x", "1.0.0", "NODEPKG"),
    ]


def test_malformed_files_are_skipped_not_fatal() -> None:
    files = {"package-lock.json": b"{not json", "poetry.lock": b"[[package", "requirements.txt": b"ok==1.0\n"}
    assert _rows(files) == [("PyPI", "ok", "1.0", "PIP")]
