"""Validate otproof's OSCAL output with a third-party OSCAL implementation (compliance-trestle).

usage: oscal_validate.py CATALOG.json PROFILE.json
Loads the catalog and the profile as trestle models (strict schema validation), then resolves
the profile against the catalog in a scratch trestle workspace. Prints one JSON line with the
control counts; exits non-zero on any failure.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from trestle.core.profile_resolver import ProfileResolver
from trestle.oscal.catalog import Catalog
from trestle.oscal.profile import Profile


def controls(ctls):
    return sum(1 + controls(getattr(c, "controls", None)) for c in (ctls or []))


def in_groups(groups):
    return sum(
        in_groups(getattr(g, "groups", None)) + controls(getattr(g, "controls", None))
        for g in (groups or [])
    )


def main():
    catalog_path, profile_path = (pathlib.Path(a).resolve() for a in sys.argv[1:3])
    catalog = Catalog.oscal_read(catalog_path)
    profile = Profile.oscal_read(profile_path)
    selected = sum(len(ic.with_ids or []) for imp in profile.imports for ic in (imp.include_controls or []))
    with tempfile.TemporaryDirectory() as root:
        root = pathlib.Path(root)
        subprocess.run([sys.executable, "-m", "trestle", "init"], cwd=root, check=True, capture_output=True)
        shutil.copy(catalog_path, root / profile.imports[0].href)
        shutil.copy(profile_path, root / "profile.json")
        # trestle resolves a relative import href from the working directory
        os.chdir(root)
        resolved = ProfileResolver.get_resolved_profile_catalog(root, str(root / "profile.json"))
    print(json.dumps({
        "catalog_controls": in_groups(catalog.groups) + controls(getattr(catalog, "controls", None)),
        "profile_selected": selected,
        "resolved_controls": in_groups(resolved.groups) + controls(getattr(resolved, "controls", None)),
    }))


if __name__ == "__main__":
    main()
