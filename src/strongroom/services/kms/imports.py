"""Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial, and expiry.

The RSA wrapping key's private half is stored only sealed, in ``kms_import_tokens``; the ImportToken handed out
is the token id sealed under the root key, so it cannot be forged or pointed at another row. Imported material
gets the id AWS describes ("based on the KMS key ID and the imported key material"): a SHA-256 over both, so a
re-import is recognised, and related multi-Region keys (same key id) compute the same id for the same material.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding
from sqlalchemy import Connection, delete, select, update

from strongroom.core.clock import clock
from strongroom.keyring.seal import UnwrapError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.kms import materials as mat
from strongroom.services.kms import model, notify
from strongroom.services.kms.base import KmsBase, check_state
from strongroom.services.kms.errors import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord, new_material_id
from strongroom.services.kms.rotation import next_seq

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

IMPORT_TOKEN_TTL = timedelta(hours=24)
MAX_VALID_TO = timedelta(days=365)
EXPIRY_JOB = "kms-import-expiry"
WRAPPING_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
WRAPPING_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
    "RSA_AES_KEY_WRAP_SHA_1": hashes.SHA1,
    "RSA_AES_KEY_WRAP_SHA_256": hashes.SHA256,
}
# Imported HMAC key material may be longer than the generated default (AWS: importing key material, requirements).
HMAC_IMPORT_LENGTHS = {"HMAC_224": (28, 64), "HMAC_256": (32, 64), "HMAC_384": (48, 128), "HMAC_512": (64, 128)}
_TOKEN_AAD = b"kms:import-token"


def imported_material_id(key_id: str, material: bytes) -> str:
    return hashlib.sha256(
        b"strongroom kms imported key material\x00" + key_id.encode() + b"\x00" + material
    ).hexdigest()


class ImportOperations(KmsBase):
    scheduled_jobs = {EXPIRY_JOB: "_run_import_expiry"}

    def _external_key(self, ctx: RequestContext, key_ref: str) -> KeyRecord:
        record = self.find_key(ctx, key_ref)
        if record.origin != "EXTERNAL":
            raise UnsupportedOperationException(
                f"{record.arn} origin is {record.origin} which is not valid for this operation."
            )
        # AWS lets DeleteImportedKeyMaterial run on a key pending deletion (and leaves its state alone).
        if not (ctx.operation == "DeleteImportedKeyMaterial" and record.state == "PendingDeletion"):
            check_state(record, ctx.operation)
        return record

    # -- GetParametersForImport -----------------------------------------------------------------------------

    def get_parameters_for_import(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        algorithm = request["WrappingAlgorithm"]
        spec = request["WrappingKeySpec"]
        record = self._external_key(ctx, request["KeyId"])
        if algorithm == "RSAES_PKCS1_V1_5":
            raise UnsupportedOperationException(
                "AWS KMS stopped supporting the RSAES_PKCS1_V1_5 wrapping algorithm on October 10, 2023. Use "
                "RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256."
            )
        if algorithm == "SM2PKE" or spec == "SM2":
            raise UnsupportedOperationException("SM2 wrapping is offered only in AWS China Regions.")
        private = rsa.generate_private_key(public_exponent=65537, key_size=WRAPPING_BITS[spec])
        token_id = new_material_id()
        now = ctx.now()
        valid_to = now + IMPORT_TOKEN_TTL
        sealed_private = self.keys.seal.wrap(mat.private_der(private), model.import_wrapping_key_aad(token_id))
        with self.runtime.store.write() as conn:
            # Expired tokens of this key are useless; drop them as new ones are made.
            conn.execute(
                delete(model.import_tokens).where(
                    model.import_tokens.c.key_arn == record.arn, model.import_tokens.c.expires_at <= now
                )
            )
            conn.execute(
                model.import_tokens.insert().values(
                    token_id=token_id,
                    key_arn=record.arn,
                    wrapping_algorithm=algorithm,
                    wrapping_key_spec=spec,
                    private_key_sealed=sealed_private,
                    expires_at=valid_to,
                )
            )
        return {
            "KeyId": record.arn,
            "ImportToken": self.keys.seal.wrap(token_id.encode(), _TOKEN_AAD),
            "PublicKey": mat.public_der(private),
            "ParametersValidTo": valid_to,
        }

    # -- ImportKeyMaterial ------------------------------------------------------------------------------------

    def import_key_material(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._external_key(ctx, request["KeyId"])
        now = ctx.now()
        expiration, valid_to = self._expiration(request, now)
        symmetric = record.key_spec == "SYMMETRIC_DEFAULT"
        if not symmetric:
            for member in ("ImportType", "KeyMaterialId", "KeyMaterialDescription"):
                if request.get(member) is not None:
                    raise ValidationException(f"{member} is only valid for symmetric encryption KMS keys.")
        token = self._token_row(record, request["ImportToken"], now)
        material = self._unwrap(token, request["EncryptedKeyMaterial"])
        material, public_key = self._check_material(record, material)
        material_id = imported_material_id(record.key_id, material)
        if request.get("KeyMaterialId") and request["KeyMaterialId"] != material_id:
            raise IncorrectKeyMaterialException(
                "The key material in the request does not match the specified KeyMaterialId."
            )
        with self.runtime.store.write() as conn:
            rows = conn.execute(select(model.materials).where(model.materials.c.key_arn == record.arn)).all()
            import_type = request.get("ImportType") or ("EXISTING_KEY_MATERIAL" if rows else "NEW_KEY_MATERIAL")
            if import_type == "NEW_KEY_MATERIAL" and request.get("KeyMaterialId"):
                raise ValidationException("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.")
            values = {
                "sealed": self.keys.seal_material(record.arn, material_id, material),
                "import_state": "IMPORTED",
                "valid_to": valid_to,
                "expiration_model": expiration,
            }
            if request.get("KeyMaterialDescription") is not None:
                values["description"] = request["KeyMaterialDescription"]
            known = {r.material_id for r in rows}
            primary_ids = self._primary_material_ids(conn, record)
            if import_type == "EXISTING_KEY_MATERIAL" or (not rows and primary_ids is not None):
                if primary_ids is not None and not rows:
                    # First import into a multi-Region replica: the primary's material, with its id and order.
                    if material_id not in primary_ids:
                        raise self._incorrect_material()
                    conn.execute(
                        model.materials.insert().values(
                            key_arn=record.arn,
                            material_id=material_id,
                            created_at=now,
                            imported=True,
                            seq=primary_ids[material_id],
                            **values,
                        )
                    )
                elif material_id not in known:
                    raise self._incorrect_material()
                else:
                    conn.execute(
                        update(model.materials)
                        .where(model.materials.c.key_arn == record.arn, model.materials.c.material_id == material_id)
                        .values(**values)
                    )
            else:
                if rows and (not symmetric or record.multi_region):
                    raise UnsupportedOperationException(
                        f"{record.arn} does not support importing new key material; reimport its existing material."
                    )
                if material_id in known:
                    raise IncorrectKeyMaterialException(
                        "This key material is already associated with the KMS key; use EXISTING_KEY_MATERIAL."
                    )
                self._no_pending_rotation(record, rows)
                conn.execute(
                    model.materials.insert().values(
                        key_arn=record.arn,
                        material_id=material_id,
                        created_at=now,
                        imported=True,
                        seq=next_seq(conn, record.arn),
                        **values,
                    )
                )
            key_values: dict[str, Any] = {}
            current = record.current_material_id or material_id
            if record.current_material_id is None:
                key_values["current_material_id"] = material_id
            if current == material_id:
                key_values.update(valid_to=valid_to, expiration_model=expiration)
            if public_key is not None:
                key_values["public_key"] = public_key
            if record.state == "PendingImport" and self._all_imported(conn, record.arn, current):
                key_values["state"] = "Enabled"
            if key_values:
                conn.execute(update(model.keys).where(model.keys.c.arn == record.arn).values(**key_values))
            job_key = f"{record.arn}|{material_id}"
            if valid_to is not None:
                payload = {"arn": record.arn, "material_id": material_id, "valid_to": valid_to.isoformat()}
                self.runtime.scheduler.schedule(EXPIRY_JOB, job_key, valid_to, payload, conn=conn)
            else:
                self.runtime.scheduler.cancel(EXPIRY_JOB, job_key, conn=conn)
            self.keys.changed(conn, [record.arn])
        self.keys.forget([record.arn])
        return {"KeyId": record.arn, "KeyMaterialId": material_id}

    @staticmethod
    def _no_pending_rotation(record: KeyRecord, rows: Any) -> None:
        """A key holds at most one material in PENDING_ROTATION: AWS lets you rotate it in (RotateKeyOnDemand) or
        delete it and import different material in its place, not stack another behind it."""
        current_seq = next((r.seq for r in rows if r.material_id == record.current_material_id), None)
        pending = [r.material_id for r in rows if current_seq is not None and r.seq > current_seq]
        if pending:
            raise KMSInvalidStateException(
                f"{record.arn} already has key material {pending[0]} in PENDING_ROTATION state. Rotate it in with "
                "RotateKeyOnDemand or delete it with DeleteImportedKeyMaterial before importing new key material."
            )

    @staticmethod
    def _incorrect_material() -> Exception:
        return IncorrectKeyMaterialException(
            "The key material doesn't match the key material previously imported into this KMS key."
        )

    def _primary_material_ids(self, conn: Connection, record: KeyRecord) -> dict[str, int] | None:
        """For a multi-Region replica: the primary's material ids and their order; None otherwise."""
        if not record.multi_region or record.is_primary or record.primary_arn is None:
            return None
        rows = conn.execute(
            select(model.materials.c.material_id, model.materials.c.seq).where(
                model.materials.c.key_arn == record.primary_arn
            )
        ).all()
        return {r.material_id: r.seq for r in rows}

    @staticmethod
    def _all_imported(conn: Connection, key_arn: str, current: str) -> bool:
        """Usable once every version up to the current one (not pending rotation) has its material."""
        current_seq = conn.execute(
            select(model.materials.c.seq).where(
                model.materials.c.key_arn == key_arn, model.materials.c.material_id == current
            )
        ).scalar_one_or_none()
        if current_seq is None:
            return False
        missing = conn.execute(
            select(model.materials.c.material_id).where(
                model.materials.c.key_arn == key_arn,
                model.materials.c.seq <= current_seq,
                model.materials.c.sealed.is_(None),
            )
        ).first()
        return missing is None

    @staticmethod
    def _expiration(request: dict[str, Any], now: datetime) -> tuple[str, datetime | None]:
        expiration = request.get("ExpirationModel") or "KEY_MATERIAL_EXPIRES"
        valid_to: datetime | None = request.get("ValidTo")
        if expiration == "KEY_MATERIAL_DOES_NOT_EXPIRE":
            if valid_to is not None:
                raise ValidationException(
                    "ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE."
                )
            return expiration, None
        if valid_to is None:
            raise ValidationException("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")
        if valid_to <= now:
            raise ValidationException("ValidTo must be a date and time in the future.")
        if valid_to > now + MAX_VALID_TO:
            raise ValidationException("ValidTo must be no more than 365 days from the request date.")
        return expiration, valid_to

    def _token_row(self, record: KeyRecord, blob: bytes, now: datetime) -> Any:
        try:
            token_id = self.keys.seal.unwrap(blob, _TOKEN_AAD).decode()
        except (UnwrapError, ValueError, UnicodeDecodeError):
            raise InvalidImportTokenException("The import token is invalid.") from None
        with self.runtime.store.read() as conn:
            row = conn.execute(select(model.import_tokens).where(model.import_tokens.c.token_id == token_id)).first()
        if row is None or row.key_arn != record.arn:
            raise InvalidImportTokenException("The import token is invalid for this KMS key.")
        if row.expires_at <= now:
            raise ExpiredImportTokenException("The import token has expired. Call GetParametersForImport again.")
        return row

    def _unwrap(self, token: Any, blob: bytes) -> bytes:
        private = mat.load_private_key(
            self.keys.seal.unwrap(token.private_key_sealed, model.import_wrapping_key_aad(token.token_id))
        )
        digest = WRAPPING_HASH[token.wrapping_algorithm]
        oaep = padding.OAEP(mgf=padding.MGF1(algorithm=digest()), algorithm=digest(), label=None)
        size = private.key_size // 8
        try:
            if token.wrapping_algorithm.startswith("RSAES_OAEP"):
                return bytes(private.decrypt(blob, oaep))
            if len(blob) <= size:
                raise ValueError("no wrapped key material after the RSA block")
            aes_key = private.decrypt(blob[:size], oaep)
            return bytes(aes_key_unwrap_with_padding(aes_key, blob[size:]))
        except (ValueError, InvalidUnwrap):
            raise InvalidCiphertextException(
                "The EncryptedKeyMaterial could not be decrypted with the wrapping key and algorithm of this "
                "import token."
            ) from None

    @staticmethod
    def _check_material(record: KeyRecord, material: bytes) -> tuple[bytes, bytes | None]:
        """The material in canonical form, and the public key of an asymmetric key; wrong kinds or sizes fail."""
        spec = record.key_spec
        if spec == "SYMMETRIC_DEFAULT":
            if len(material) != 32:
                raise IncorrectKeyMaterialException("Key material for a SYMMETRIC_DEFAULT key must be 256 bits.")
            return material, None
        if spec in HMAC_IMPORT_LENGTHS:
            low, high = HMAC_IMPORT_LENGTHS[spec]
            if not low <= len(material) <= high:
                raise IncorrectKeyMaterialException(
                    f"Key material for a {spec} key must be between {low} and {high} bytes."
                )
            return material, None
        try:
            key = mat.load_private_key(material)
        except (ValueError, TypeError):
            raise IncorrectKeyMaterialException(
                f"Key material for a {spec} key must be a DER-encoded PKCS #8 private key."
            ) from None
        if not _matches_spec(key, spec):
            raise IncorrectKeyMaterialException(f"The imported private key does not match the key spec {spec}.")
        return mat.private_der(key), mat.public_der(key)

    # -- DeleteImportedKeyMaterial ------------------------------------------------------------------------------

    def delete_imported_key_material(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._external_key(ctx, request["KeyId"])
        material_id = request.get("KeyMaterialId") or record.current_material_id
        with self.runtime.store.write() as conn:
            row = None
            if material_id is not None:
                row = conn.execute(
                    select(model.materials).where(
                        model.materials.c.key_arn == record.arn, model.materials.c.material_id == material_id
                    )
                ).first()
            if row is None:
                if request.get("KeyMaterialId"):
                    raise NotFoundException(f"Key material {material_id} is not associated with {record.arn}.")
                return {"KeyId": record.arn, "KeyMaterialId": ""}
            self.remove_material(conn, record, row)
        self.keys.forget([record.arn])
        return {"KeyId": record.arn, "KeyMaterialId": material_id}

    def remove_material(self, conn: Connection, record: KeyRecord, row: Any) -> None:
        """Material pending rotation is not yet bound to the key and goes; any other loses its bytes only."""
        current_seq = conn.execute(
            select(model.materials.c.seq).where(
                model.materials.c.key_arn == record.arn,
                model.materials.c.material_id == record.current_material_id,
            )
        ).scalar_one_or_none()
        where = (model.materials.c.key_arn == record.arn) & (model.materials.c.material_id == row.material_id)
        if current_seq is not None and row.seq > current_seq:
            conn.execute(delete(model.materials).where(where))
        else:
            conn.execute(
                update(model.materials)
                .where(where)
                .values(sealed=None, import_state="PENDING_IMPORT", valid_to=None, expiration_model=None)
            )
            key_values: dict[str, Any] = {}
            if record.state != "PendingDeletion":
                key_values["state"] = "PendingImport"
            if row.material_id == record.current_material_id:
                key_values.update(valid_to=None, expiration_model=None)
            if key_values:
                conn.execute(update(model.keys).where(model.keys.c.arn == record.arn).values(**key_values))
        self.runtime.scheduler.cancel(EXPIRY_JOB, f"{record.arn}|{row.material_id}", conn=conn)
        self.keys.changed(conn, [record.arn])

    # -- expiry -------------------------------------------------------------------------------------------------

    def _run_import_expiry(self, job: JobContext) -> JobResult | None:
        arn, material_id = job.payload["arn"], job.payload["material_id"]
        with self.runtime.store.write() as conn:
            key_row = conn.execute(select(model.keys).where(model.keys.c.arn == arn)).first()
            row = conn.execute(
                select(model.materials).where(
                    model.materials.c.key_arn == arn, model.materials.c.material_id == material_id
                )
            ).first()
            # A reimport since this job was written changed valid_to (and re-scheduled); nothing to do then.
            if key_row is None or row is None or row.sealed is None or row.valid_to is None:
                return None
            if row.valid_to > job.now:
                return JobResult.again(row.valid_to)
            record = KeyRecord.from_row(key_row)
            self.remove_material(conn, record, row)
        self.keys.forget([arn])
        self._emit_event("KMS Imported Key Material Expiration", record, material_id)
        return None

    def _emit_event(self, detail_type: str, record: KeyRecord, material_id: str) -> None:
        """AWS records the expiry in CloudTrail and emits "KMS Imported Key Material Expiration"."""
        notify.material_expired(self.runtime, record, material_id, record.valid_to or clock.now())


def _matches_spec(key: Any, spec: str) -> bool:
    if spec in mat.RSA_BITS:
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == mat.RSA_BITS[spec]
    if spec in mat.EC_CURVES:
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, mat.EC_CURVES[spec])
    if spec == "ECC_NIST_EDWARDS25519":
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if spec in mat.ML_DSA:
        return isinstance(key, mat.ML_DSA[spec])
    return False
