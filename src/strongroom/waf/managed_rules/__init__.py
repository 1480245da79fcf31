"""AWS managed rule groups as data: ``catalog.json`` (names, capacities, label namespaces, rules and labels, the
one source the wafv2 API and the engine both read) and one ``<GroupName>.json`` of detection content per group,
generated from OWASP CRS 3.3.4 by ``tools/crs/build_managed.py`` (Apache-2.0: see LICENSE and NOTICE here)."""
