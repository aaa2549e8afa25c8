#!/usr/bin/env python3
"""Keeps docs/canary-spec.md in step with the CRDs in crds/*.yaml.

Usage: canary_spec_doc_test.py [REPOSITORY_ROOT]   (default: two directories above this script)

For every CustomResourceDefinition in crds/*.yaml and every version it serves, the openAPIV3Schema's
`spec` and `status` are walked (object properties, array items, and the properties of allOf/anyOf/oneOf
branches) into dotted field paths, `[]` standing for an array's items:
`spec.analysis.metrics[].thresholdRange.min`. A map (additionalProperties) and an object with
x-kubernetes-preserve-unknown-fields and no properties end the walk: the field itself is a path, its
keys are not.

Checks:
  1. Every field path of a kind is documented in that kind's part of docs/canary-spec.md: a table row
     (`| `path` | ...`) or a bullet (`- `path` ...`) that starts with the path in backticks. A kind's part
     is every level-2 section (`## ...`) whose heading names the kind (`## Canary status`), so that a
     path two kinds share (`spec.provider`) must be documented for each of them.
  2. Every backticked `spec.` or `status.` path in the document exists in some CRD's schema. Spans that
     are not plain paths (`spec.service.{apex,primary,canary}`, `spec.analysis.*ReadyThreshold`) are
     expressions and are not checked; `[0]` is read as `[]`.
  3. `spec.canaryAnalysis`, Flagger's deprecated alias of `spec.analysis`, still has the same schema: it
     is documented by one row, `spec.canaryAnalysis`, instead of a row for each of its subfields (its
     subfields may still be mentioned).
"""

import glob
import os
import re
import sys
import unittest

import yaml

# Deprecated aliases documented by a single row: alias path -> the path whose schema it repeats.
ALIASES = {"spec.canaryAnalysis": "spec.analysis"}

DOC = os.path.join("docs", "canary-spec.md")

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# A field path as the document writes it: spec.x.y, status.a[].b (an index such as [0] is read as []).
PATH_SPAN = re.compile(r"^(?:spec|status)(?:\.[A-Za-z_][A-Za-z0-9_-]*(?:\[\d*\])?)+$")
# A row or bullet that documents a field: the path in backticks first.
FIELD_ROW = re.compile(r"^\s*(?:\|\s*|[-*+]\s+)`([^`]+)`")
BACKTICKED = re.compile(r"`([^`\n]+)`")


class Schema:
    """The field paths of one kind: `required` must each have a row, `known` may be mentioned."""

    def __init__(self, kind):
        self.kind = kind
        self.required = set()
        self.known = set()
        self.alias_problems = []


def branches(node):
    """The node and the allOf/anyOf/oneOf schemas whose properties it also has."""
    yield node
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            if isinstance(sub, dict):
                yield from branches(sub)


def walk(node, path, schema, documented):
    """Adds the paths below `path` (whose schema is `node`); `documented`: each needs a row."""
    if not isinstance(node, dict):
        return
    for branch in branches(node):
        for name, sub in (branch.get("properties") or {}).items():
            child = path + "." + name
            schema.known.add(child)
            if child in ALIASES:
                schema.required.add(child)
                walk(sub, child, schema, False)
                continue
            if documented:
                schema.required.add(child)
            walk(sub, child, schema, documented)
        items = branch.get("items")
        if isinstance(items, dict):
            # `path[]` may be mentioned; its fields (if it is an object) are paths of their own.
            schema.known.add(path + "[]")
            walk(items, path + "[]", schema, documented)


def lookup(root, path):
    """The schema node at a dotted path below openAPIV3Schema (no [] in it)."""
    node = root
    for part in path.split("."):
        node = (node.get("properties") or {}).get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def load_schemas(root):
    """{kind: Schema} for every CRD in crds/*.yaml, merged over the versions it serves."""
    schemas = {}
    files = sorted(glob.glob(os.path.join(root, "crds", "*.yaml")) + glob.glob(os.path.join(root, "crds", "*.yml")))
    for name in files:
        with open(name, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                kind = doc["spec"]["names"]["kind"]
                schema = schemas.setdefault(kind, Schema(kind))
                for version in doc["spec"].get("versions") or []:
                    if not version.get("served", True):
                        continue
                    top = ((version.get("schema") or {}).get("openAPIV3Schema")) or {}
                    for part in ("spec", "status"):
                        node = (top.get("properties") or {}).get(part)
                        if node is not None:
                            walk(node, part, schema, True)
                    for alias, original in ALIASES.items():
                        a, o = lookup(top, alias), lookup(top, original)
                        if a is not None and a != o:
                            schema.alias_problems.append(
                                "%s (%s): %s no longer has the schema of %s; document its fields one by one "
                                "and drop it from ALIASES" % (kind, os.path.basename(name), alias, original))
    return schemas


def split_sections(text):
    """[(level-2 heading, body lines)]; text before the first `## ` heading has the heading ''."""
    sections = [("", [])]
    in_code = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            sections.append((line[3:].strip(), []))
            continue
        sections[-1][1].append(line)
    return sections


def documented_rows(lines):
    """The paths that start a table row or a bullet in `lines` (outside code blocks)."""
    rows = set()
    in_code = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = FIELD_ROW.match(line)
        if m:
            rows.add(m.group(1).strip())
    return rows


def mentioned_paths(text):
    """Every backticked span of the document (code blocks included) that is a plain field path."""
    found = set()
    for span in BACKTICKED.findall(text):
        span = span.strip()
        if PATH_SPAN.match(span):
            found.add(re.sub(r"\[\d+\]", "[]", span))
    return found


def kind_rows(sections, kind):
    """The documented rows of every level-2 section whose heading names `kind`; None when there is none."""
    pattern = re.compile(r"(?<![A-Za-z])" + re.escape(kind) + r"(?![A-Za-z])")
    rows, found = set(), False
    for heading, lines in sections:
        if pattern.search(heading):
            found = True
            rows |= documented_rows(lines)
    return rows if found else None


class CanarySpecDocTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schemas = load_schemas(ROOT)
        with open(os.path.join(ROOT, DOC), encoding="utf-8") as f:
            cls.text = f.read()
        cls.sections = split_sections(cls.text)

    def test_crds_are_found(self):
        self.assertIn("Canary", self.schemas, "no Canary CRD in %s/crds" % ROOT)
        total = sum(len(s.required) for s in self.schemas.values())
        print("\n%s: %d field paths of %s" % (DOC, total, ", ".join(
            "%s (%d)" % (k, len(s.required)) for k, s in sorted(self.schemas.items()))), file=sys.stderr)

    def test_aliases_keep_the_schema_they_stand_for(self):
        problems = [p for s in self.schemas.values() for p in s.alias_problems]
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_every_schema_field_is_documented(self):
        problems = []
        for kind, schema in sorted(self.schemas.items()):
            rows = kind_rows(self.sections, kind)
            if rows is None:
                if schema.required:
                    problems.append("%s: no level-2 section (`## ... %s ...`) in %s" % (kind, kind, DOC))
                continue
            for path in sorted(schema.required - rows):
                problems.append("%s: `%s` has no row or bullet starting with it" % (kind, path))
        self.assertEqual(problems, [], "fields of crds/ not documented in %s:\n  %s" % (DOC, "\n  ".join(problems)))

    def test_every_documented_path_exists(self):
        known = set()
        for schema in self.schemas.values():
            known |= schema.known
        unknown = sorted(mentioned_paths(self.text) - known)
        self.assertEqual(unknown, [], "paths in %s that no CRD in crds/ has:\n  %s" % (DOC, "\n  ".join(unknown)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        ROOT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
