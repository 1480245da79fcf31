"""GuardDuty's detection engine: CloudTrail records in, finding drafts out (see contract.py). Pure: imports only
``strongroom.core``."""
