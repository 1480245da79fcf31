"""One package per AWS service: ``provider.py`` with one method per operation, ``model.py`` its tables."""
