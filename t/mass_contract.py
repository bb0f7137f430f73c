# mass_contract.py: checks documents against the Mass API contracts in ../shared/schemas/mass/apis/, so a renamed
# or retyped field fails a test. The contracts are OpenAPI 3.1, whose schemas are JSON Schema 2020-12.
import os

import jsonschema
import yaml

_cache = {}


def contract(shared_dir, name):
    """The parsed contract ("entities", "fiscal", "ownership", "consent", "identity")."""
    path = os.path.join(shared_dir, "schemas", "mass", "apis", name + ".openapi.yaml")
    if path not in _cache:
        with open(path) as f:
            _cache[path] = yaml.safe_load(f)
    return _cache[path]


def check(shared_dir, name, schema_name, instance, patch=None):
    """Validates instance against components/schemas/<schema_name> of contract <name>.
    patch(doc) may adjust a deep copy of the contract first, for a deviation mez makes on purpose; the caller
    says why where it passes one."""
    import copy
    doc = contract(shared_dir, name)
    if patch:
        doc = copy.deepcopy(doc)
        patch(doc)
    schema = {"$ref": "#/components/schemas/" + schema_name, "components": doc["components"]}
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)
