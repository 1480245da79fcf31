"""AWS's published KMS rules, as tables: what each key spec allows, and what each key state allows.

Sources: AWS KMS Developer Guide, "Key spec reference" and "Key states of AWS KMS keys".
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.core.errors import AwsError
from strongroom.services.kms.errors import DisabledException, KMSInvalidStateException


@dataclass(frozen=True, slots=True)
class KeySpecInfo:
    usages: tuple[str, ...]
    encryption: tuple[str, ...] = ()
    signing: tuple[str, ...] = ()
    mac: tuple[str, ...] = ()
    key_agreement: tuple[str, ...] = ()
    encapsulation: tuple[str, ...] = ()


_RSA_ENC = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
_RSA_SIGN = (
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
)

KEY_SPECS: dict[str, KeySpecInfo] = {
    "SYMMETRIC_DEFAULT": KeySpecInfo(("ENCRYPT_DECRYPT",), encryption=("SYMMETRIC_DEFAULT",)),
    "RSA_2048": KeySpecInfo(("ENCRYPT_DECRYPT", "SIGN_VERIFY"), encryption=_RSA_ENC, signing=_RSA_SIGN),
    "RSA_3072": KeySpecInfo(("ENCRYPT_DECRYPT", "SIGN_VERIFY"), encryption=_RSA_ENC, signing=_RSA_SIGN),
    "RSA_4096": KeySpecInfo(("ENCRYPT_DECRYPT", "SIGN_VERIFY"), encryption=_RSA_ENC, signing=_RSA_SIGN),
    "ECC_NIST_P256": KeySpecInfo(("SIGN_VERIFY", "KEY_AGREEMENT"), signing=("ECDSA_SHA_256",), key_agreement=("ECDH",)),
    "ECC_NIST_P384": KeySpecInfo(("SIGN_VERIFY", "KEY_AGREEMENT"), signing=("ECDSA_SHA_384",), key_agreement=("ECDH",)),
    "ECC_NIST_P521": KeySpecInfo(("SIGN_VERIFY", "KEY_AGREEMENT"), signing=("ECDSA_SHA_512",), key_agreement=("ECDH",)),
    "ECC_SECG_P256K1": KeySpecInfo(("SIGN_VERIFY",), signing=("ECDSA_SHA_256",)),
    "ECC_NIST_EDWARDS25519": KeySpecInfo(("SIGN_VERIFY",), signing=("ED25519_SHA_512", "ED25519_PH_SHA_512")),
    "ML_DSA_44": KeySpecInfo(("SIGN_VERIFY",), signing=("ML_DSA_SHAKE_256",)),
    "ML_DSA_65": KeySpecInfo(("SIGN_VERIFY",), signing=("ML_DSA_SHAKE_256",)),
    "ML_DSA_87": KeySpecInfo(("SIGN_VERIFY",), signing=("ML_DSA_SHAKE_256",)),
    "ML_KEM_512": KeySpecInfo(("ENCAPSULATE_DECAPSULATE",), encapsulation=("ML_KEM",)),
    "ML_KEM_768": KeySpecInfo(("ENCAPSULATE_DECAPSULATE",), encapsulation=("ML_KEM",)),
    "ML_KEM_1024": KeySpecInfo(("ENCAPSULATE_DECAPSULATE",), encapsulation=("ML_KEM",)),
    "HMAC_224": KeySpecInfo(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_224",)),
    "HMAC_256": KeySpecInfo(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_256",)),
    "HMAC_384": KeySpecInfo(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_384",)),
    "HMAC_512": KeySpecInfo(("GENERATE_VERIFY_MAC",), mac=("HMAC_SHA_512",)),
}

# Key specs in AWS's model that Strongroom does not offer, and why (documented in docs/kms.md).
UNSUPPORTED_KEY_SPECS: dict[str, str] = {
    "SM2": "SM2 keys are offered only in AWS China Regions and are not supported by Strongroom",
}

# Data key pairs Strongroom does not generate, and why (GenerateDataKeyPair's KeyPairSpec).
UNSUPPORTED_PAIR_SPECS: dict[str, str] = {
    **UNSUPPORTED_KEY_SPECS,
    "ML_KEM_512": "ML_KEM data key pairs are not supported by Strongroom; create an ML_KEM KMS key instead",
    "ML_KEM_768": "ML_KEM data key pairs are not supported by Strongroom; create an ML_KEM KMS key instead",
    "ML_KEM_1024": "ML_KEM data key pairs are not supported by Strongroom; create an ML_KEM KMS key instead",
}

DEFAULT_USAGE = "ENCRYPT_DECRYPT"

# Largest plaintext for RSAES_OAEP, by key spec and algorithm (AWS KMS key spec reference).
RSA_OAEP_MAX_PLAINTEXT: dict[tuple[str, str], int] = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}

SYMMETRIC_MAX_PLAINTEXT = 4096
RAW_SIGN_MAX_MESSAGE = 4096

# -- key states ------------------------------------------------------------------------------------------
# What each kind of operation meets in each state: None = allowed, else the exception class to raise.
# Operation kinds group the rows of AWS's key state table that behave alike.

_CRYPTO = {
    "Enabled": None,
    "Disabled": DisabledException,
    "PendingDeletion": KMSInvalidStateException,
    "PendingReplicaDeletion": KMSInvalidStateException,
    "PendingImport": KMSInvalidStateException,
    "Unavailable": KMSInvalidStateException,
    "Creating": KMSInvalidStateException,
    "Updating": KMSInvalidStateException,
}
_ANY = dict.fromkeys(_CRYPTO)
_MANAGE = {  # enable/disable, aliases, grants, rotation status, tags, policies
    **dict.fromkeys(_CRYPTO),
    "PendingDeletion": KMSInvalidStateException,
    "PendingReplicaDeletion": KMSInvalidStateException,
    "Creating": KMSInvalidStateException,
}
_ROTATION = {
    **_CRYPTO,
    "Disabled": DisabledException,
}

STATE_RULES: dict[str, dict[str, type[AwsError] | None]] = {
    "crypto": _CRYPTO,
    "describe": _ANY,
    "manage": _MANAGE,
    "tag": {**_ANY, "PendingReplicaDeletion": KMSInvalidStateException},
    "rotation": _ROTATION,
    "schedule_deletion": {
        **dict.fromkeys(_CRYPTO),
        "PendingDeletion": KMSInvalidStateException,
        "PendingReplicaDeletion": KMSInvalidStateException,
        "Creating": KMSInvalidStateException,
    },
    "cancel_deletion": {
        **dict.fromkeys(_CRYPTO, KMSInvalidStateException),
        "PendingDeletion": None,
        "PendingReplicaDeletion": None,
    },
    "enable_disable": {
        **dict.fromkeys(_CRYPTO),
        "PendingDeletion": KMSInvalidStateException,
        "PendingReplicaDeletion": KMSInvalidStateException,
        "PendingImport": KMSInvalidStateException,
        "Creating": KMSInvalidStateException,
    },
}
