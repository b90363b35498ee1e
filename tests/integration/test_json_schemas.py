"""Every command's --json output against its documented schema (docs/schemas/<command>.json,
described in docs/json-schema.md), on a small channel served over loopback and the
environments made from it. The schemas use a small subset of JSON Schema, checked by the
validator below: type, properties, required, additionalProperties, items, enum, const,
minItems, anyOf and $ref to another file of docs/schemas."""
import json
import warnings
from pathlib import Path

import pytest

from testkit import condapkg as ck
from testkit.cli import command_paths

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def load_schema(name):
    return json.loads((SCHEMAS / name).read_text())


def validate(value, schema, where="$"):
    """The list of places where `value` does not match `schema` (empty when it matches)."""
    if "$ref" in schema:
        return validate(value, load_schema(schema["$ref"]), where)
    if "anyOf" in schema:
        attempts = [validate(value, option, where) for option in schema["anyOf"]]
        if any(not errors for errors in attempts):
            return []
        return [f"{where}: matches none of anyOf: " + " | ".join("; ".join(errors) for errors in attempts)]
    errors = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[name](value) for name in types):
            return [f"{where}: expected {'/'.join(types)}, got {type(value).__name__} {json.dumps(value)[:80]}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}: missing required key {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += validate(item, properties[key], f"{where}.{key}")
            elif extra is False:
                errors.append(f"{where}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                errors += validate(item, extra, f"{where}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: expected at least {schema['minItems']} items, got {len(value)}")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += validate(item, schema["items"], f"{where}[{index}]")
    return errors


def test_the_validator_rejects_wrong_shapes():
    schema = {"type": "object", "required": ["a"], "additionalProperties": False,
              "properties": {"a": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                             "b": {"enum": ["x", "y"]}, "c": {"anyOf": [{"type": "null"}, {"const": 3}]}}}
    assert validate({"a": [1, 2], "b": "x", "c": None}, schema) == []
    assert validate({"a": [1], "c": 3}, schema) == []
    assert validate({"b": "x"}, schema)                   # missing a
    assert validate({"a": []}, schema)                    # minItems
    assert validate({"a": [True]}, schema)                # a bool is not an integer
    assert validate({"a": [1], "b": "z"}, schema)         # enum
    assert validate({"a": [1], "c": 4}, schema)           # anyOf
    assert validate({"a": [1], "d": 1}, schema)           # additionalProperties
    assert validate([], {"$ref": "error.json"})           # $ref to a file


def schema_name(path):
    return path.replace(" ", "-") + ".json"


# Commands that print no JSON document of their own: `activate`/`deactivate` without the hook
# only fail (the error schema), `run` prints its command's output.
ERROR_ONLY = {"activate", "deactivate", "run"}
# Commands still being written by other modules (no committed schema yet): reported, not failed.
PENDING = {"pack", "unpack"}


def test_every_command_has_a_documented_schema(envctl):
    documented = (SCHEMAS.parent / "json-schema.md").read_text()
    missing = []
    for path in command_paths(envctl):
        if path in ERROR_ONLY:
            continue
        if path in PENDING and not (SCHEMAS / schema_name(path)).exists():
            warnings.warn(f"envctl {path} --json has no schema yet (docs/schemas/{schema_name(path)})")
            continue
        if not (SCHEMAS / schema_name(path)).exists():
            missing.append(f"docs/schemas/{schema_name(path)}")
        if f"schemas/{schema_name(path)}" not in documented:
            missing.append(f"docs/json-schema.md section for `envctl {path}`")
    assert not missing, "undocumented --json output: " + ", ".join(missing)


@pytest.fixture
def world(tmp_path, serve, home):
    build = tmp_path / "build"
    packages = [
        ck.build_package(build, "demo", "1.0", "h0_0", depends=["libdep"], files=[ck.text_file("share/demo.txt", "1\n")]),
        ck.build_package(build, "demo", "1.1", "h0_0", depends=["libdep"], files=[ck.text_file("share/demo.txt", "2\n")]),
        ck.build_package(build, "libdep", "2.1", "0", files=[ck.text_file("lib/libdep.txt", "dep\n")]),
        ck.build_package(build, "extra", "0.1", "0", files=[ck.text_file("share/extra.txt", "x\n")]),
    ]
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    project = tmp_path / "project"
    project.mkdir()
    (project / "environment.yml").write_text(
        f"name: proj\nchannels:\n  - {server.url}\ndependencies:\n  - demo\n")
    return {"url": server.url, "project": project, "prefix": tmp_path / "env", "tmp": tmp_path, "home": home}


def check(envctl, path, *args, expect=0, schema=None, **kwargs):
    proc = envctl.run(*path.split(), "--json", *args, expect=expect, **kwargs)
    try:
        document = json.loads(proc.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"envctl {path} --json printed no JSON ({error}):\n{proc.stdout}\n{proc.stderr}")
    errors = validate(document, load_schema(schema or schema_name(path)))
    assert not errors, f"envctl {path} {' '.join(map(str, args))} --json:\n" + "\n".join(errors) + \
        "\n" + json.dumps(document, indent=1)[:3000]
    return document


def test_every_command_json_matches_its_schema(envctl, world):
    url, prefix, project = world["url"], world["prefix"], world["project"]
    channel = ("-c", url, "--override-channels")
    covered = set()

    def run(path, *args, **kwargs):
        covered.add(path)
        return check(envctl, path, *args, **kwargs)

    run("version")
    run("info")
    config_file = world["tmp"] / "envctl-config.yml"
    config_env = {"ENVCTL_CONFIG": str(config_file)}
    run("config list", env=config_env)
    run("config get", "channels", env=config_env)
    run("config set", "channel_priority", "strict", env=config_env)
    run("config remove", "channel_priority", env=config_env)
    run("config docs")
    run("search", "demo", *channel)

    run("create", "-p", prefix, *channel, "demo=1.0", "--dry-run")
    run("create", "-p", prefix, *channel, "demo=1.0", "-y")
    run("install", "-p", prefix, *channel, "extra", "-y")
    run("update", "-p", prefix, *channel, "demo", "-y")
    run("remove", "-p", prefix, "extra", "-y")

    run("lock", "-f", project / "environment.yml")
    run("lock", "-f", project / "environment.yml", "--check")
    run("export", "-p", prefix)
    run("verify", "-p", prefix)

    run("shell-hook", "--shell", "bash")
    run("shell hook", "--shell", "zsh")
    run("shell activate", "--shell", "bash", prefix)
    active = {"CONDA_PREFIX": str(prefix), "CONDA_SHLVL": "1", "PATH": f"{prefix}/bin:/usr/bin:/bin"}
    run("shell deactivate", "--shell", "bash", env=active)
    run("shell init", "--shell", "bash")
    run("shell deinit", "--shell", "bash")
    run("completion", "bash")

    commands = set(command_paths(envctl))
    if "list" in commands:
        run("list", "-p", prefix)
    if "env list" in commands:
        run("env list")
    if "repoquery depends" in commands:
        run("repoquery depends", "-p", prefix, "demo")
        run("repoquery whoneeds", "-p", prefix, "libdep")
    if "clean" in commands:
        run("clean", "--all", "--dry-run")
        run("clean", "--all", "-y")
    run("env remove", "-p", prefix, "-y")

    # Failures: the error document, for envctl's own errors in every kind of command.
    for path, args in (("create", ("-p", world["tmp"] / "bad", "no such spec ===")),
                       ("run", ("-p", world["tmp"] / "missing", "--", "true")),
                       ("activate", ("x",)),
                       ("deactivate", ()),
                       ("verify", ("-p", world["tmp"] / "missing"))):
        covered.add(path)
        check(envctl, path, *args, expect=2, schema="error.json")

    uncovered = sorted(commands - covered - PENDING - {"uninstall"})
    assert not uncovered, f"commands without a --json check here: {uncovered}"
