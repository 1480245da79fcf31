"""Inspector's scanning engine: package inventories, OSV matching, code scanning (see ``contract.py``)."""
