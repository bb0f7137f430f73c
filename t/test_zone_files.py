# test_zone_files.py: the shipped profiles and zone files validate against the JSON Schemas in schemas/, and every
# pack a zone names exists (the C loader enforces the same rules at run time; these schemas are for editors).
import glob
import json
import os

import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def schema(name):
    with open(os.path.join(ROOT, "schemas", name)) as f:
        return json.load(f)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


PROFILES = sorted(glob.glob(os.path.join(ROOT, "profiles", "*.yaml")))
ZONES = sorted(glob.glob(os.path.join(ROOT, "packs", "*", "zone.yaml")))


def test_the_reference_profiles_are_all_shipped():
    ids = {os.path.basename(p)[:-5] for p in PROFILES}
    assert {"digital-financial-center", "trade-hub", "tech-park", "sovereign-govos", "charter-city",
            "digital-native-free-zone", "asset-history-bundle"} <= ids


@pytest.mark.parametrize("path", PROFILES, ids=os.path.basename)
def test_profile_validates(path):
    doc = load(path)
    jsonschema.validate(doc, schema("profile.schema.json"), cls=jsonschema.Draft202012Validator)
    assert doc["id"] == os.path.basename(path)[:-5]


@pytest.mark.parametrize("path", ZONES, ids=lambda p: p.split(os.sep)[-2])
def test_zone_validates_and_names_real_files(path):
    doc = load(path)
    jsonschema.validate(doc, schema("zone.schema.json"), cls=jsonschema.Draft202012Validator)
    assert os.path.exists(os.path.join(ROOT, "profiles", doc["profile"] + ".yaml"))
    for kind, paths in doc["packs"].items():
        for rel in paths:
            assert os.path.exists(os.path.join(os.path.dirname(path), rel)), (kind, rel)


def test_schema_rejects_an_unknown_domain():
    doc = load(PROFILES[0])
    doc["compliance_domains"] = ["aml", "anti_bribery"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema("profile.schema.json"), cls=jsonschema.Draft202012Validator)
