"""Event selectors: which records a trail takes, for management events and for data events (S3 objects).

One function decides for both places that ask: trail delivery (``trails.py``, every stored record against every
trail of its account) and the data-event filter (``data_events.py``, before an S3 object call is recorded at all).

* **Basic selectors** (``EventSelectors``). Management records: ``IncludeManagementEvents``, ``ReadWriteType``,
  ``ExcludeManagementEventSources``. Data records: ``ReadWriteType`` and ``DataResources`` of type
  ``AWS::S3::Object``, whose values are ARN prefixes of the objects: ``arn:aws:s3:::bucket/prefix``,
  ``arn:aws:s3:::bucket/`` (every object of the bucket) or ``arn:aws:s3`` / ``arn:aws:s3:::`` (every bucket). The
  DataResource reference: "To log data events for all objects in all S3 buckets in your AWS account, specify the
  prefix as arn:aws:s3 ... This also enables logging of data event activity performed by any user or role in your
  AWS account, even if that activity is performed on a bucket that belongs to another AWS account" -- which
  accounts see an event at all is ``data_events.py``'s business; here a value only has to match the object.
* **Advanced selectors** (``AdvancedEventSelectors``): a record is taken when every field selector of one advanced
  selector matches. Within a field selector the values of one operator are alternatives (``Equals: [a, b]``), the
  operators are all required (``StartsWith`` and ``NotStartsWith`` narrow each other). ``resources.type`` and
  ``resources.ARN`` are matched against one resource of the record at a time (the object, not the bucket entry
  beside it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

S3_OBJECT = "AWS::S3::Object"
# DataResources values meaning "every object of every bucket" (both spellings appear in AWS's documentation).
ALL_S3_OBJECTS = frozenset({"arn:aws:s3", "arn:aws:s3:::"})
_S3_ARN = "arn:aws:s3:::"
DEFAULT_SELECTORS: list[dict[str, Any]] = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
]
# Advanced selector fields Strongroom evaluates; a field outside this set is ignored (it narrows nothing).
SCALAR_FIELDS = ("eventCategory", "eventSource", "eventName", "eventType", "readOnly", "userIdentity.arn", "errorCode")
RESOURCE_FIELDS = ("resources.type", "resources.ARN")
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


def is_data(record: Mapping[str, Any]) -> bool:
    return record.get("eventCategory") == "Data"


def matches(
    record: Mapping[str, Any],
    basic: Sequence[Mapping[str, Any]] | None,
    advanced: Sequence[Mapping[str, Any]] | None,
) -> bool:
    """Whether a trail with these selectors takes ``record`` (advanced selectors replace basic ones)."""
    if advanced:
        return any(_advanced(selector, record) for selector in advanced)
    selectors = basic if basic is not None else DEFAULT_SELECTORS
    if is_data(record):
        return any(_basic_data(selector, record) for selector in selectors)
    return any(_basic_management(selector, record) for selector in selectors)


def selects_data(basic: Sequence[Mapping[str, Any]] | None, advanced: Sequence[Mapping[str, Any]] | None) -> bool:
    """Whether these selectors can take any S3 object data event (the data-event filter keeps only such trails)."""
    if advanced:
        return any(_advanced_may_take_data(selector) for selector in advanced)
    for selector in basic or ():
        for resource in selector.get("DataResources") or ():
            if resource.get("Type") == S3_OBJECT and resource.get("Values"):
                return True
    return False


# -- basic selectors -------------------------------------------------------------------------------------------------


def _read_write_ok(selector: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    kind = selector.get("ReadWriteType", "All")
    return kind == "All" or (kind == "ReadOnly") == bool(record.get("readOnly"))


def _basic_management(selector: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    if not selector.get("IncludeManagementEvents", True):
        return False
    if record.get("eventSource") in (selector.get("ExcludeManagementEventSources") or []):
        return False
    return _read_write_ok(selector, record)


def object_arns(record: Mapping[str, Any]) -> list[str]:
    return [str(r.get("ARN", "")) for r in record.get("resources") or () if r.get("type") == S3_OBJECT]


def _basic_data(selector: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    if not _read_write_ok(selector, record):
        return False
    arns = object_arns(record)
    if not arns:
        return False
    for resource in selector.get("DataResources") or ():
        if resource.get("Type") != S3_OBJECT:
            continue
        for value in resource.get("Values") or ():
            prefix = object_prefix(str(value))
            if prefix is None or any(arn.startswith(prefix) for arn in arns):
                return True
    return False


def object_prefix(value: str) -> str | None:
    """The object-ARN prefix a DataResources value selects; None for every object of every bucket.

    A bare bucket ARN (``arn:aws:s3:::bucket``) means the bucket's objects, not every bucket whose name starts so.
    """
    if value in ALL_S3_OBJECTS:
        return None
    if value.startswith(_S3_ARN) and "/" not in value[len(_S3_ARN) :]:
        return value + "/"
    return value


# -- advanced selectors ----------------------------------------------------------------------------------------------


def _field_ok(field: Mapping[str, Any], value: str) -> bool:
    """One field selector against one value: each positive operator needs one of its values, each negative none."""
    equals = field.get("Equals")
    if equals is not None and value not in equals:
        return False
    starts = field.get("StartsWith")
    if starts is not None and not any(value.startswith(p) for p in starts):
        return False
    ends = field.get("EndsWith")
    if ends is not None and not any(value.endswith(s) for s in ends):
        return False
    if value in (field.get("NotEquals") or ()):
        return False
    if any(value.startswith(p) for p in field.get("NotStartsWith") or ()):
        return False
    return not any(value.endswith(s) for s in field.get("NotEndsWith") or ())


def _scalar(record: Mapping[str, Any], name: str) -> str | None:
    if name == "eventCategory":
        return str(record.get("eventCategory") or "Management")
    if name == "readOnly":
        return "true" if record.get("readOnly") else "false"
    if name == "userIdentity.arn":
        return str((record.get("userIdentity") or {}).get("arn") or "")
    if name in ("eventSource", "eventName", "eventType", "errorCode"):
        return str(record.get(name) or "")
    return None  # a field Strongroom does not evaluate


def _advanced(selector: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    fields = selector.get("FieldSelectors") or []
    resource_fields: list[Mapping[str, Any]] = []
    for field in fields:
        name = field.get("Field", "")
        if name in RESOURCE_FIELDS:
            resource_fields.append(field)
            continue
        value = _scalar(record, name)
        if value is not None and not _field_ok(field, value):
            return False
    if not resource_fields:
        return True
    resources: Iterable[Mapping[str, Any]] = record.get("resources") or ()
    return any(_resource_ok(resource_fields, resource) for resource in resources)


def _resource_ok(fields: Sequence[Mapping[str, Any]], resource: Mapping[str, Any]) -> bool:
    for field in fields:
        value = str(resource.get("type" if field.get("Field") == "resources.type" else "ARN") or "")
        if not _field_ok(field, value):
            return False
    return True


def _advanced_may_take_data(selector: Mapping[str, Any]) -> bool:
    """An advanced selector that may take S3 object data events: category Data (or none given) and, if it names
    resource types, ``AWS::S3::Object`` among them."""
    for field in selector.get("FieldSelectors") or ():
        name = field.get("Field")
        if name == "eventCategory" and not _field_ok(field, "Data"):
            return False
        if name == "resources.type" and not _field_ok(field, S3_OBJECT):
            return False
    return True
