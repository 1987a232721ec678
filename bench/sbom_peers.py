#!/usr/bin/env python3
"""Python peers for bench/sbom.sh: parse SBOMs with cyclonedx-python-lib and spdx-tools.

usage: sbom_peers.py N FILE...

Each file is read into memory once; then its parse is repeated N times and the median
in-process time is reported (interpreter start-up and imports are not timed). Prints one
JSON object per line: {"file", "tool", "components", "runs", "median_s"} or, when a
parser fails, {"file", "tool", "error"}.

* CycloneDX JSON: json.loads(text) then cyclonedx.model.bom.Bom.from_json(dict).
* CycloneDX XML: cyclonedx.model.bom.Bom.from_xml(io.StringIO(text)) (it parses the XML).
* SPDX (JSON and tag-value), two ways:
  - "spdx-tools parse_file": spdx_tools.spdx.parser.parse_anything.parse_file(path), the
    documented entry point; it reads the (page-cached) file and, for tag-value, builds a
    new PLY parser on every call;
  - "spdx-tools in-memory": JsonLikeDictParser().parse(json.loads(text)) for JSON and one
    reused tagvalue Parser().parse(text) for tag-value (no file read, no parser set-up
    timed): the fairer, lower figure.
"""

import io
import json
import statistics
import sys
import time
import warnings


def timed(fn, runs):
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def cyclonedx_count(bom):
    n = 0
    stack = list(bom.components)
    while stack:
        c = stack.pop()
        n += 1
        stack.extend(c.components)
    return n


def cyclonedx_rows(path, text, runs):
    from cyclonedx.model.bom import Bom

    if path.endswith(".xml"):
        fn = lambda: Bom.from_xml(io.StringIO(text))  # noqa: E731
    else:
        fn = lambda: Bom.from_json(json.loads(text))  # noqa: E731
    med, bom = timed(fn, runs)
    if bom is None:
        raise ValueError("cyclonedx-python-lib returned no Bom")
    yield "cyclonedx-python-lib", med, cyclonedx_count(bom)


def spdx_rows(path, text, runs):
    from spdx_tools.spdx.parser.parse_anything import parse_file

    med, doc = timed(lambda: parse_file(path), runs)
    yield "spdx-tools parse_file", med, len(doc.packages) + len(doc.files)

    if path.endswith(".json"):
        from spdx_tools.spdx.parser.json.json_parser import remove_json_control_chars_hook
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

        def fn():
            data = json.loads(text, object_pairs_hook=remove_json_control_chars_hook)
            return JsonLikeDictParser().parse(data)
    else:
        from spdx_tools.spdx.parser.tagvalue.parser import Parser

        # A Parser is single-use (it keeps the document's state) and builds its PLY tables
        # when constructed: build one per run beforehand, time only parse(text).
        parsers = [Parser() for _ in range(runs)]
        fn = lambda: parsers.pop().parse(text)  # noqa: E731
    med, doc = timed(fn, runs)
    yield "spdx-tools in-memory", med, len(doc.packages) + len(doc.files)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = max(1, int(sys.argv[1]))
    warnings.simplefilter("ignore")
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rows = spdx_rows if ".spdx" in path else cyclonedx_rows
        try:
            for tool, med, components in rows(path, text, runs):
                print(json.dumps({"file": path, "tool": tool, "components": components,
                                  "runs": runs, "median_s": med}), flush=True)
        except Exception as e:  # report, keep going with the other files
            tool = "spdx-tools" if rows is spdx_rows else "cyclonedx-python-lib"
            print(json.dumps({"file": path, "tool": tool, "error": f"{type(e).__name__}: {e}"}),
                  flush=True)


if __name__ == "__main__":
    main()
