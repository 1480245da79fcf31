"""AWS's finding catalogue, as data: each finding type's severity, title and description templates.

Severities are the catalogue's default levels as AWS's numbers (Low 2.0, Medium 5.0, High 8.0, Critical 9.0);
titles and descriptions follow the wording of the findings AWS generates (``{api}``, ``{user}``, ``{bucket}`` ...
are filled from the record). One table, so docs/guardduty-detections.md and the detectors cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

LOW, MEDIUM, HIGH, CRITICAL = 2.0, 5.0, 8.0, 9.0


@dataclass(frozen=True, slots=True)
class FindingType:
    severity: float
    title: str
    description: str


_ANOMALY_TITLE = "The user {user} is anomalously invoking APIs commonly used in {tactic} tactics."
_ANOMALY_DESC = (
    "APIs commonly used in {tactic} tactics were invoked by user {user_type} : {user}, under unusual circumstances. "
    "Such activity is not typically seen from this user."
)
_S3_ANOMALY_TITLE = "Unusual {verb} of S3 objects by {user}."
_S3_ANOMALY_DESC = (
    "An IAM entity invoked an S3 API in a suspicious way. {api} was invoked by {user_type} : {user} on bucket "
    "{bucket}, an API this entity does not usually invoke, from an unusual context."
)

TACTICS = (
    "CredentialAccess",
    "DefenseEvasion",
    "Discovery",
    "Exfiltration",
    "Impact",
    "InitialAccess",
    "Persistence",
    "PrivilegeEscalation",
)
_ANOMALY_SEVERITY = {
    "CredentialAccess": MEDIUM,
    "DefenseEvasion": MEDIUM,
    "Discovery": LOW,
    "Exfiltration": HIGH,
    "Impact": HIGH,
    "InitialAccess": MEDIUM,
    "Persistence": MEDIUM,
    "PrivilegeEscalation": MEDIUM,
}

CATALOGUE: dict[str, FindingType] = {
    "Stealth:IAMUser/CloudTrailLoggingDisabled": FindingType(
        LOW,
        "AWS CloudTrail trail {trail} was disabled.",
        "AWS CloudTrail trail {trail} was disabled by {user_type} : {user} calling {api}.",
    ),
    "Stealth:IAMUser/PasswordPolicyChange": FindingType(
        LOW,
        "Account password policy was changed.",
        "The account password policy was changed by {user_type} : {user} calling {api}.",
    ),
    "Policy:IAMUser/RootCredentialUsage": FindingType(
        LOW,
        "API {api} was invoked using root credentials.",
        "API {api} was invoked using root credentials from IP address {ip}.",
    ),
    "Policy:IAMUser/ShortTermRootCredentialUsage": FindingType(
        LOW,
        "API {api} was invoked using short-term root credentials.",
        "API {api} was invoked using restricted short-term root credentials from IP address {ip}.",
    ),
    "UnauthorizedAccess:IAMUser/TorIPCaller": FindingType(
        MEDIUM,
        "API {api} was invoked from a Tor exit node IP address.",
        "API {api} was invoked from Tor exit node IP address {ip} by {user_type} : {user}.",
    ),
    "Recon:IAMUser/TorIPCaller": FindingType(
        LOW,
        "API {api} was invoked from a Tor exit node IP address.",
        "API {api}, commonly used in reconnaissance attacks, was invoked from Tor exit node IP address {ip} by "
        "{user_type} : {user}.",
    ),
    "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom": FindingType(
        MEDIUM,
        "API {api} was invoked from an IP address on a custom threat list.",
        "API {api} was invoked from IP address {ip} on the custom threat list {list} by {user_type} : {user}.",
    ),
    "Recon:IAMUser/MaliciousIPCaller.Custom": FindingType(
        MEDIUM,
        "Reconnaissance API {api} was invoked from an IP address on a custom threat list.",
        "API {api}, commonly used in reconnaissance attacks, was invoked from IP address {ip} on the custom threat "
        "list {list} by {user_type} : {user}.",
    ),
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": FindingType(
        HIGH,
        "Credentials for the EC2 instance role {role} used from a remote IP address.",
        "Credentials created exclusively for EC2 instance {instance} through the instance role {role} were used "
        "from IP address {ip}, which is not the instance's, to call {api}.",
    ),
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS": FindingType(
        HIGH,
        "Credentials for the EC2 instance role {role} used from a different AWS account.",
        "Credentials created exclusively for EC2 instance {instance} through the instance role {role} were used "
        "from AWS account {remote_account} to call {api}.",
    ),
    "Policy:S3/BucketBlockPublicAccessDisabled": FindingType(
        LOW,
        "Amazon S3 Block Public Access was disabled for S3 bucket {bucket}.",
        "Amazon S3 Block Public Access was disabled for S3 bucket {bucket} by {user_type} : {user} calling {api}. "
        "If this behavior is not expected, it may indicate a configuration mistake or that your credentials are "
        "compromised.",
    ),
    "Policy:S3/BucketAnonymousAccessGranted": FindingType(
        HIGH,
        "Amazon S3 Public Anonymous Access was granted for the S3 bucket {bucket}.",
        "The S3 bucket {bucket} was made accessible to anyone on the internet by {user_type} : {user} calling {api}.",
    ),
    "Policy:S3/BucketPublicAccessGranted": FindingType(
        HIGH,
        "Amazon S3 Public Access was granted for the S3 bucket {bucket}.",
        "The S3 bucket {bucket} was made accessible to all authenticated AWS users by {user_type} : {user} "
        "calling {api}.",
    ),
    "Stealth:S3/ServerAccessLoggingDisabled": FindingType(
        LOW,
        "Amazon S3 server access logging was disabled for S3 bucket {bucket}.",
        "Amazon S3 server access logging was disabled for S3 bucket {bucket} by {user_type} : {user} calling {api}.",
    ),
    "UnauthorizedAccess:S3/MaliciousIPCaller.Custom": FindingType(
        HIGH,
        "An S3 API was invoked from an IP address on a custom threat list.",
        "S3 API {api} on bucket {bucket} was invoked from IP address {ip} on the custom threat list {list}.",
    ),
    "UnauthorizedAccess:S3/TorIPCaller": FindingType(
        HIGH,
        "An S3 API was invoked from a Tor exit node IP address.",
        "S3 API {api} on bucket {bucket} was invoked from Tor exit node IP address {ip}.",
    ),
    "Discovery:S3/AnomalousBehavior": FindingType(
        LOW, _S3_ANOMALY_TITLE.replace("{verb}", "listing"), _S3_ANOMALY_DESC
    ),
    "Exfiltration:S3/AnomalousBehavior": FindingType(
        HIGH, _S3_ANOMALY_TITLE.replace("{verb}", "reads"), _S3_ANOMALY_DESC
    ),
    "Impact:S3/AnomalousBehavior.Delete": FindingType(
        HIGH, _S3_ANOMALY_TITLE.replace("{verb}", "deletion"), _S3_ANOMALY_DESC
    ),
    "Impact:S3/AnomalousBehavior.Write": FindingType(
        MEDIUM, _S3_ANOMALY_TITLE.replace("{verb}", "writes"), _S3_ANOMALY_DESC
    ),
    "Impact:S3/AnomalousBehavior.Permission": FindingType(
        HIGH, _S3_ANOMALY_TITLE.replace("{verb}", "permission changes"), _S3_ANOMALY_DESC
    ),
    "AttackSequence:IAM/CompromisedCredentials": FindingType(
        CRITICAL,
        "Potential credential compromise of {user} indicated by a sequence of actions.",
        "A sequence of actions involving {count} signals indicating a possible credential compromise of "
        "{user_type} : {user} was observed: {signals}.",
    ),
    "AttackSequence:S3/CompromisedData": FindingType(
        CRITICAL,
        "Potential data compromise of S3 buckets indicated by a sequence of actions by {user}.",
        "A sequence of actions involving {count} signals indicating a possible data compromise of one or more S3 "
        "buckets by {user_type} : {user} was observed: {signals}.",
    ),
}
for _distro in ("KaliLinux", "ParrotLinux", "PentooLinux"):
    _name = {"KaliLinux": "Kali Linux", "ParrotLinux": "Parrot Security Linux", "PentooLinux": "Pentoo Linux"}[_distro]
    CATALOGUE[f"PenTest:IAMUser/{_distro}"] = FindingType(
        MEDIUM,
        f"API {{api}} was invoked from a {_name} computer.",
        f"API {{api}} was invoked by {{user_type}} : {{user}} from a {_name} computer, a distribution of "
        "penetration testing tools, with IP address {ip}.",
    )
    CATALOGUE[f"PenTest:S3/{_distro}"] = FindingType(
        MEDIUM,
        f"S3 API {{api}} was invoked from a {_name} computer.",
        f"S3 API {{api}} on bucket {{bucket}} was invoked by {{user_type}} : {{user}} from a {_name} computer.",
    )
for _tactic in TACTICS:
    CATALOGUE[f"{_tactic}:IAMUser/AnomalousBehavior"] = FindingType(
        _ANOMALY_SEVERITY[_tactic],
        _ANOMALY_TITLE.replace("{tactic}", _tactic),
        _ANOMALY_DESC.replace("{tactic}", _tactic),
    )


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "unknown"


def render(finding_type: str, **values: str) -> tuple[float, str, str]:
    """The type's severity, title and description with ``values`` filled in (a missing value reads "unknown")."""
    entry = CATALOGUE[finding_type]
    filled = _Blank(values)
    return entry.severity, entry.title.format_map(filled), entry.description.format_map(filled)
