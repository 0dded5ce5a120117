"""Schemathesis hooks for tests/python/test_fuzz.py (loaded through
SCHEMATHESIS_HOOKS): half of the generated ids, share tokens and short
codes are swapped for ones that exist, so that fuzzing reaches the success
paths and not only the 404s. The known values come from the test, as JSON in
SPACELINKS_FUZZ_KNOWN: {"path": {"file_id": [..]}, "query": {"share": [..]}}.
"""
import json
import os
import zlib

import schemathesis

KNOWN = json.loads(os.environ.get("SPACELINKS_FUZZ_KNOWN", "{}"))


def _swap(values, generated, known):
    for name, choices in known.items():
        if name in values and choices:
            # Deterministic in the generated value, so shrinking stays stable.
            h = zlib.crc32(repr(values[name]).encode())
            if h % 2 == 0:
                values[name] = choices[(h >> 1) % len(choices)]
    return values


def _destructive(context):
    # Deleting a known file would starve every later operation of it.
    op = context.operation
    return op is not None and op.method.upper() == "DELETE"


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if path_parameters is None or _destructive(context):
        return path_parameters
    return _swap(path_parameters, path_parameters, KNOWN.get("path", {}))


@schemathesis.hook
def map_query(context, query):
    if query is None:
        return query
    return _swap(query, query, KNOWN.get("query", {}))
