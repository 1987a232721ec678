"""sigstore-python's offline, in-process verification time for Sigstore bundles.

usage: sigstore_python_verify.py RUNS TRUSTED_ROOT ARTIFACT BUNDLE IDENTITY ISSUER [...]
(ARTIFACT BUNDLE IDENTITY ISSUER repeat per bundle)

The Verifier is built from the trusted root file (no TUF refresh, no network); each run
parses the bundle (Bundle.from_json) and calls verify_artifact. Interpreter start-up, imports
and the trusted root parse are excluded. Prints one JSON line per bundle:
{"bundle", "ms" (median) | "error"}.
"""

import json
import os
import statistics
import sys
import time

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity


def main() -> None:
    runs = int(sys.argv[1])
    root = TrustedRoot.from_file(sys.argv[2])
    verifier = Verifier(trusted_root=root)
    args = sys.argv[3:]
    for i in range(0, len(args), 4):
        artifact_path, bundle_path, identity, issuer = args[i : i + 4]
        name = os.path.basename(bundle_path)
        artifact = open(artifact_path, "rb").read()
        bundle_json = open(bundle_path, "rb").read()
        policy = Identity(identity=identity, issuer=issuer)
        times = []
        try:
            for _ in range(runs + 1):  # first run is a warm-up
                t0 = time.perf_counter()
                bundle = Bundle.from_json(bundle_json)
                verifier.verify_artifact(artifact, bundle, policy)
                times.append((time.perf_counter() - t0) * 1000.0)
        except Exception as e:  # report the reason instead of a number
            msg = f"{type(e).__name__}: {e}".replace("\n", " ")
            print(json.dumps({"bundle": name, "error": msg[:300]}), flush=True)
            continue
        print(json.dumps({"bundle": name, "ms": statistics.median(times[1:])}), flush=True)


if __name__ == "__main__":
    main()
