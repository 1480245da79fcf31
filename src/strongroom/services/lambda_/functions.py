"""Create, read, update, delete and list functions; publish versions."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.core.clock import clock
from strongroom.services.base import pages
from strongroom.services.lambda_ import model, validation
from strongroom.services.lambda_.base import LambdaBase, new_revision
from strongroom.services.lambda_.code_url import code_location
from strongroom.services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
)
from strongroom.services.lambda_.records import (
    LATEST,
    FunctionRecord,
    FunctionRef,
    configuration,
    env_aad,
    function_arn,
    function_key,
    function_row,
    load,
    not_found,
    parse_function_name,
    to_record,
    version_key,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128
LIST_DEFAULT = 50


class FunctionOperations(LambdaBase):
    # --- create ----------------------------------------------------------------------------------------

    def create_function(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = parse_function_name(request["FunctionName"], ctx.account_id, ctx.region)
        if ref.qualifier is not None:
            raise InvalidParameterValueException("Function name cannot contain a qualifier when creating a function.")
        validation.check_unsupported(request)
        data = validation.check_code(request["Code"])
        if not request.get("Runtime") or not request.get("Handler"):
            raise InvalidParameterValueException(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )
        validation.check_runtime(request["Runtime"])
        validation.check_limits(request)
        variables = validation.check_environment(request.get("Environment"))
        validation.check_role(self.runtime, ref.account_id, request["Role"])
        digest = validation.code_digest(data)
        now = clock.now()
        arn = function_arn(ref.account_id, ref.region, ref.name)
        values = {
            "account_id": ref.account_id,
            "region": ref.region,
            "name": ref.name,
            "version": LATEST,
            "runtime": request["Runtime"],
            "role": request["Role"],
            "handler": request["Handler"],
            "description": request.get("Description", ""),
            "timeout": int(request.get("Timeout", DEFAULT_TIMEOUT)),
            "memory_size": int(request.get("MemorySize", DEFAULT_MEMORY)),
            "environment_sealed": self._seal_env(arn, LATEST, variables),
            "code_sha256": digest,
            "code_size": len(data),
            "revision_id": new_revision(),
            "last_modified": now,
            "policy": None,
        }
        with self.runtime.store.write() as conn:
            if function_row(conn, ref) is not None:
                raise ResourceConflictException(f"Function already exist: {ref.name}")
            self.store_code(conn, digest, data)
            conn.execute(
                insert(model.functions).values(
                    account_id=ref.account_id,
                    region=ref.region,
                    name=ref.name,
                    arn=arn,
                    tags=json.dumps(request["Tags"]) if request.get("Tags") else None,
                    next_version=1,
                    created_at=now,
                )
            )
            conn.execute(insert(model.versions).values(**values))
            record = load(conn, self.runtime.seal, ref, LATEST)
            if request.get("Publish"):
                record = self._publish(conn, record, None)
        return configuration(record)

    def _seal_env(self, arn: str, version: str, variables: dict[str, str] | None) -> bytes | None:
        if variables is None:
            return None
        return self.runtime.seal.wrap(json.dumps(variables).encode(), env_aad(arn, version))

    # --- read ------------------------------------------------------------------------------------------

    def get_function(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        with self.runtime.store.read() as conn:
            record = load(conn, self.runtime.seal, ref)
            row = function_row(conn, ref)
        out: dict[str, Any] = {
            "Configuration": configuration(record),
            "Code": {"RepositoryType": "S3", "Location": code_location(self.runtime, record.code_sha256)},
        }
        if row is not None and row.tags:
            out["Tags"] = json.loads(row.tags)
        return out

    def get_function_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        with self.runtime.store.read() as conn:
            return configuration(load(conn, self.runtime.seal, ref))

    def list_functions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("MasterRegion"):
            return {"Functions": []}  # only Lambda@Edge replicas are listed by master region; there are none
        every_version = request.get("FunctionVersion") == "ALL"
        if "FunctionVersion" in request and not every_version:
            raise InvalidParameterValueException("FunctionVersion must be ALL when specified.")
        limit = int(request.get("MaxItems", LIST_DEFAULT))
        start = self._marker(request.get("Marker"))
        v = model.versions.c
        query = select(model.versions).where(v.account_id == ctx.account_id, v.region == ctx.region)
        if not every_version:
            query = query.where(v.version == LATEST)
        query = query.order_by(v.name, v.version)
        with self.runtime.store.read() as conn:
            rows = [r for r in conn.execute(query) if (r.name, r.version) > start]
        page = rows[:limit]
        out: dict[str, Any] = {
            "Functions": [
                configuration(to_record(r, function_arn(r.account_id, r.region, r.name), self.runtime.seal))
                for r in page
            ]
        }
        if len(rows) > limit:
            last = page[-1]
            out["NextMarker"] = pages.encode(last.name, last.version)
        return out

    @staticmethod
    def _marker(marker: str | None) -> tuple[str, str]:
        if not marker:
            return ("", "")
        name, version = pages.decode(marker, 2, lambda: InvalidParameterValueException(f"Invalid marker: {marker}"))
        return (str(name), str(version))

    # --- update ----------------------------------------------------------------------------------------

    def update_function_code(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request)
        if ref.qualifier is not None:
            raise InvalidParameterValueException("Cannot update the code of a function version; use its name.")
        if request.get("Architectures") not in (None, ["x86_64"], ["arm64"]):
            raise InvalidParameterValueException("Architectures must be one of x86_64 or arm64.")
        data = validation.check_code(request)
        digest = validation.code_digest(data)
        with self.runtime.store.write() as conn:
            record = load(conn, self.runtime.seal, ref, LATEST)
            self.check_revision(record.revision_id, request)
            if request.get("DryRun"):
                preview = configuration(record)
                preview["CodeSha256"] = base64.b64encode(bytes.fromhex(digest)).decode()
                preview["CodeSize"] = len(data)
                return preview
            self.store_code(conn, digest, data)
            conn.execute(
                update(model.versions)
                .where(version_key(ref, LATEST))
                .values(code_sha256=digest, code_size=len(data), revision_id=new_revision(), last_modified=clock.now())
            )
            self.collect_code(conn)
            record = load(conn, self.runtime.seal, ref, LATEST)
            if request.get("Publish"):
                record = self._publish(conn, record, None)
        return configuration(record)

    def update_function_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request)
        if ref.qualifier is not None:
            raise InvalidParameterValueException("Cannot update the configuration of a function version.")
        validation.check_unsupported(request)
        validation.check_limits(request)
        values: dict[str, Any] = {}
        if "Runtime" in request:
            validation.check_runtime(request["Runtime"])
            values["runtime"] = request["Runtime"]
        if "Handler" in request:
            values["handler"] = request["Handler"]
        for field, column in (("Description", "description"), ("Timeout", "timeout"), ("MemorySize", "memory_size")):
            if field in request:
                values[column] = request[field]
        if "Role" in request:
            validation.check_role(self.runtime, ref.account_id, request["Role"])
            values["role"] = request["Role"]
        if "Environment" in request:
            variables = validation.check_environment(request["Environment"])
            values["environment_sealed"] = self._seal_env(ref.arn, LATEST, variables or None)
        with self.runtime.store.write() as conn:
            record = load(conn, self.runtime.seal, ref, LATEST)
            self.check_revision(record.revision_id, request)
            values.update(revision_id=new_revision(), last_modified=clock.now())
            conn.execute(update(model.versions).where(version_key(ref, LATEST)).values(**values))
            record = load(conn, self.runtime.seal, ref, LATEST)
        return configuration(record)

    # --- versions --------------------------------------------------------------------------------------

    def publish_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request)
        with self.runtime.store.write() as conn:
            record = load(conn, self.runtime.seal, ref, LATEST)
            self.check_revision(record.revision_id, request)
            wanted = request.get("CodeSha256")
            if wanted is not None and wanted != base64.b64encode(bytes.fromhex(record.code_sha256)).decode():
                raise InvalidParameterValueException(
                    f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST. Please try again."
                )
            record = self._publish(conn, record, request.get("Description"))
        return configuration(record)

    def _publish(self, conn: Connection, latest: FunctionRecord, description: str | None) -> FunctionRecord:
        """Snapshot $LATEST as the next version number; unchanged code and configuration reuse the last one."""
        f = model.functions.c
        row = conn.execute(select(model.functions).where(function_key(latest))).one()
        previous = conn.execute(
            select(model.versions).where(version_key(latest, str(row.next_version - 1))).limit(1)
        ).first()
        if previous is not None:
            prev = to_record(previous, latest.arn, self.runtime.seal)
            if _same_config(prev, latest):
                return prev
        number = str(row.next_version)
        conn.execute(
            update(model.functions)
            .where(f.account_id == latest.account_id, f.region == latest.region, f.name == latest.name)
            .values(next_version=row.next_version + 1)
        )
        conn.execute(
            insert(model.versions).values(
                account_id=latest.account_id,
                region=latest.region,
                name=latest.name,
                version=number,
                runtime=latest.runtime,
                role=latest.role,
                handler=latest.handler,
                description=latest.description if description is None else description,
                timeout=latest.timeout,
                memory_size=latest.memory_size,
                environment_sealed=self._seal_env(latest.arn, number, latest.environment),
                code_sha256=latest.code_sha256,
                code_size=latest.code_size,
                revision_id=new_revision(),
                last_modified=clock.now(),
                policy=None,
            )
        )
        return load(conn, self.runtime.seal, FunctionRef(latest.account_id, latest.region, latest.name, None), number)

    # --- delete ----------------------------------------------------------------------------------------

    def delete_function(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        with self.runtime.store.write() as conn:
            if ref.qualifier == LATEST:
                raise InvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
            if function_row(conn, ref) is None:
                raise not_found(ref.display())
            if ref.qualifier is not None:
                if conn.execute(delete(model.versions).where(version_key(ref, ref.qualifier))).rowcount == 0:
                    raise not_found(ref.display())
            else:
                v = model.versions.c
                conn.execute(
                    delete(model.versions).where(
                        v.account_id == ref.account_id, v.region == ref.region, v.name == ref.name
                    )
                )
                conn.execute(delete(model.functions).where(function_key(ref)))
            self.collect_code(conn)
        self.runner.forget_function(ref.arn)
        return {"StatusCode": 204}


def _same_config(a: FunctionRecord, b: FunctionRecord) -> bool:
    fields = ("runtime", "role", "handler", "timeout", "memory_size", "environment", "code_sha256")
    return all(getattr(a, name) == getattr(b, name) for name in fields)
