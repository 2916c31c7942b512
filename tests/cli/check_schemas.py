#!/usr/bin/env python3
"""Checks the cardctl --json documents a CLI test kept against docs/schema: each N.json (stdout of one command)
with N.about (the schema name, then the command line). A document is valid when it matches the command's schema
or, for a failed command, error.json. Prints one FAIL line (and the reasons) per document that is not valid."""
import json
import pathlib
import sys

import warnings

import jsonschema

schema_dir, kept = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
error_schema = json.loads((schema_dir / "error.json").read_text())
# Schemas refer to each other by $id (error.json's "error" object, for commands that report and fail).
store = {error_schema["$id"]: error_schema}
warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver: the API both Debian's and newer jsonschema have
cache = {}
for doc_file in sorted(kept.glob("*.json"), key=lambda p: int(p.stem)):
    # The command line as typed, which may hold bytes that are not UTF-8 (a test of such input).
    about = doc_file.with_suffix(".about").read_text(encoding="utf-8", errors="backslashreplace")
    name, command = (about.split("\n") + [""])[:2]
    text = doc_file.read_text()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"FAIL: {command}: stdout is not one JSON document ({e})")
        continue
    path = schema_dir / f"{name}.json"
    if path.exists():
        if name not in cache:
            cache[name] = json.loads(path.read_text())
        schema = {"anyOf": [cache[name], error_schema]}
    elif isinstance(doc, dict) and doc.get("ok") is False:
        schema = error_schema  # a command that does not exist: only its usage error
    else:
        print(f"FAIL: {command}: no schema {path.name} in docs/schema")
        continue
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    errors = list(jsonschema.Draft202012Validator(schema, resolver=resolver).iter_errors(doc))
    if errors:
        print(f"FAIL: {command}: output does not match docs/schema/{name}.json or error.json")
        # The errors of the alternative that matched best.
        for sub in sorted(errors[0].context, key=lambda e: len(list(e.path)))[-4:]:
            where = "/".join(str(p) for p in sub.absolute_path) or "(document)"
            print(f"  {where}: {sub.message[:300]}")
