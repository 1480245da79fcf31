"""Parameter Store's published rules as data: names, tiers, labels, data types.

Each rule AWS documents as a table lives here once, consulted by one function, so it reads against AWS's
"Requirements and constraints for parameter names" and "Managing parameter tiers" pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.services.ssm.errors import (
    AccessDeniedException,
    HierarchyLevelLimitExceededException,
    ValidationException,
)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    max_value_chars: int
    max_parameters: int  # per account and region
    policies: bool
    shareable: bool


TIERS: dict[str, Tier] = {
    "Standard": Tier("Standard", 4096, 10_000, policies=False, shareable=False),
    "Advanced": Tier("Advanced", 8192, 100_000, policies=True, shareable=True),
}
TIER_ORDER = {"Standard": 0, "Advanced": 1}  # a parameter only ever moves up

MAX_VERSIONS = 100
MAX_LABELS_PER_VERSION = 10
MAX_HIERARCHY_LEVELS = 15
MAX_NAME_WITH_ARN = 1011  # the name plus the ARN prefix that precedes it
MAX_TAGS = 50
MAX_POLICIES = 10

DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
AMI_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
INTEGRATION_PREFIX = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"

_NAME_CHARS = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_LABEL_CHARS = re.compile(r"^[a-zA-Z0-9_.\-]+$")

# AWS's one answer (PutParameter and GetParameter alike) to a name with a character outside a-zA-Z0-9_.-/, a
# space inside, an empty level (``//``), or a slash without the leading one: real AWS says "ssm" alone here.
NAME_RULES_MESSAGE = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of '
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following "
    "3 symbols .-_"
)
PATH_RULES_MESSAGE = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward "
    'slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, '
    "or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All "
    'sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.'
)


def arn_prefix(account_id: str, region: str) -> str:
    return f"arn:aws:ssm:{region}:{account_id}:parameter"


def parameter_arn(account_id: str, region: str, name: str) -> str:
    """AWS joins the name to ``parameter`` with exactly one slash, whether or not the name starts with one."""
    return f"{arn_prefix(account_id, region)}/{name.lstrip('/')}"


def normalize_name(name: str) -> str:
    """PutParameter's name as stored: AWS removes spaces at the beginning and end of a name."""
    return name.strip(" ")


def other_spelling(name: str) -> str:
    """``x`` and ``/x`` are one parameter on AWS ("not unique" in its name rules): the other spelling of a
    one-level name, or the name itself for a hierarchy."""
    if "/" not in name:
        return "/" + name
    if name.startswith("/") and "/" not in name[1:] and len(name) > 1:
        return name[1:]
    return name


def check_reference(name: str) -> None:
    """A name a read names (GetParameter): AWS rejects malformed names there too instead of not finding them."""
    if not _NAME_CHARS.match(name) or "//" in name or ("/" in name and not name.startswith("/")):
        raise ValidationException(NAME_RULES_MESSAGE)


def is_reserved(name: str) -> bool:
    bare = name.lstrip("/").lower()
    return bare.startswith(("aws", "ssm"))


def check_name(name: str, account_id: str, region: str) -> None:
    """What PutParameter accepts as a new parameter's name, with AWS's error for each rule broken."""
    bare = name.lstrip("/").lower()
    is_path = name.count("/") > 1 or (name.startswith("/") and "/" in name[1:])
    if bare.startswith("aws") and name.startswith("/"):
        raise AccessDeniedException(f"No access to reserved parameter name: {name.lstrip('/')}.")
    if bare.startswith(("aws", "ssm")):
        if is_path:
            raise ValidationException(NAME_RULES_MESSAGE)
        raise ValidationException('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).')
    if not _NAME_CHARS.match(name) or "//" in name or name.endswith("/"):
        raise ValidationException(NAME_RULES_MESSAGE)
    if "/" in name and not name.startswith("/"):
        raise ValidationException(NAME_RULES_MESSAGE)  # "a/b": a hierarchy needs its leading slash
    if len(parameter_arn(account_id, region, name)) > MAX_NAME_WITH_ARN + 1:
        raise ValidationException(
            f"Parameter name: {name} is too long. The maximum length of a parameter name, including the ARN "
            f"prefix, is {MAX_NAME_WITH_ARN} characters."
        )
    if name.count("/") > MAX_HIERARCHY_LEVELS:
        raise HierarchyLevelLimitExceededException(
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints "
            "for parameter names in the AWS Systems Manager User Guide."
        )


def check_path(path: str) -> None:
    """GetParametersByPath's and the Path filter's rule for a path."""
    if path == "/":
        return
    if not path.startswith("/") or "//" in path or not _NAME_CHARS.match(path):
        raise ValidationException(PATH_RULES_MESSAGE)
    if path.count("/") > MAX_HIERARCHY_LEVELS:
        raise HierarchyLevelLimitExceededException(
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints "
            "for parameter names in the AWS Systems Manager User Guide."
        )


def label_is_valid(label: str) -> bool:
    """Labels: 1-100 of letters, digits, ``.-_``; not starting with a digit or with ``aws``/``ssm``."""
    if not label or len(label) > 100 or not _LABEL_CHARS.match(label):
        return False
    if label[0].isdigit():
        return False
    return not label.lower().startswith(("aws", "ssm"))


def choose_tier(requested: str, value: str, has_policies: bool, current: str | None, standard_full: bool) -> str:
    """Intelligent-Tiering's choice: Advanced when the value, policies or the Standard quota require it.

    A parameter never moves down, so an existing Advanced parameter stays Advanced.
    """
    if requested != "Intelligent-Tiering":
        return requested
    if current == "Advanced":
        return "Advanced"
    if len(value) > TIERS["Standard"].max_value_chars or has_policies or (current is None and standard_full):
        return "Advanced"
    return "Standard"


def check_tier_change(current: str | None, tier: str) -> None:
    if current is not None and TIER_ORDER[tier] < TIER_ORDER[current]:
        raise ValidationException(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
            "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced "
            "parameter and recreate it as a standard parameter."
        )


def check_value_size(value: str, tier: str) -> None:
    limit = TIERS[tier].max_value_chars
    if len(value) <= limit:
        return
    if tier == "Standard":
        raise ValidationException(
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
            "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
        )
    raise ValidationException(
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less "
        "than or equal to 8192"
    )


def check_data_type(data_type: str, parameter_type: str, value: str, name: str) -> None:
    """``text`` takes anything; ``aws:ec2:image`` wants a String holding an AMI id; integrations a SecureString."""
    if data_type not in DATA_TYPES:
        raise ValidationException(
            f"The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )
    if data_type == "aws:ec2:image":
        if parameter_type != "String":
            raise ValidationException("Parameters with the aws:ec2:image data type must be of the String type.")
        if not AMI_ID.match(value):
            raise ValidationException(
                f"Invalid format for parameter value: {value}. Parameter value of data type aws:ec2:image must "
                "be in the format ami-12345abcdeEXAMPLE."
            )
    if data_type == "aws:ssm:integration" and (
        parameter_type != "SecureString" or not name.startswith(INTEGRATION_PREFIX)
    ):
        raise ValidationException(
            "Parameters with the aws:ssm:integration data type must be SecureString parameters whose name "
            f"begins with {INTEGRATION_PREFIX}."
        )
