"""DeleteSecret (a 7-30 day recovery window, or at once), RestoreSecret, and deletion when the window ends.

The end of the window is a scheduler job on the server clock, so it happens once across nodes and tests reach
it with ``server.advance``; it is recorded as an AwsServiceEvent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete

from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.secretsmanager import events, model
from strongroom.services.secretsmanager.base import SecretsBase, check_secret_id, find_secret, job_key, secret_arn
from strongroom.services.secretsmanager.errors import InvalidParameterException, InvalidRequestException

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

DELETE_JOB = "secretsmanager-delete"
ROTATE_JOB = "secretsmanager-rotate"
DEFAULT_WINDOW_DAYS = 30


def purge(conn: Connection, arn: str) -> None:
    conn.execute(delete(model.versions).where(model.versions.c.arn == arn))
    conn.execute(delete(model.secrets).where(model.secrets.c.arn == arn))


class DeletionOperations(SecretsBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {DELETE_JOB: "_delete_job"}

    def delete_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        force = bool(request.get("ForceDeleteWithoutRecovery"))
        window = request.get("RecoveryWindowInDays")
        if force and window is not None:
            raise InvalidParameterException(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        if window is not None and not 7 <= int(window) <= 30:
            raise InvalidParameterException("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        secret_id = request.get("SecretId")
        if force and secret_id:
            check_secret_id(secret_id)
            with self.runtime.store.read() as conn:
                found = find_secret(conn, ctx.account_id, ctx.region, secret_id)
            if found is None:
                return self._nothing_to_delete(ctx, secret_id)
        secret = self.secret(ctx, secret_id, deleted_ok=force)
        if secret.is_replica:
            raise InvalidRequestException(
                f"You can't delete a replica secret. Remove the Region {secret.region} from replication on the "
                f"primary secret in {secret.primary_region} instead."
            )
        if secret.replicas:
            regions = ", ".join(r["Region"] for r in secret.replicas)
            raise InvalidRequestException(
                f"You can't delete secret {secret.name} that still has replica regions [{regions}]."
            )
        now = self.now()
        if force:
            with self.runtime.store.write() as conn:
                purge(conn, secret.arn)
                self.runtime.scheduler.cancel(DELETE_JOB, job_key(secret.arn), conn)
                self.runtime.scheduler.cancel(ROTATE_JOB, job_key(secret.arn), conn)
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
        when = now + timedelta(days=int(window or DEFAULT_WINDOW_DAYS))
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(deletion_date=when))
            payload = {"arn": secret.arn, "account": secret.account_id, "region": secret.region}
            self.runtime.scheduler.schedule(DELETE_JOB, job_key(secret.arn), when, payload, conn)
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": when}

    def _nothing_to_delete(self, ctx: RequestContext, secret_id: str) -> dict[str, Any]:
        """AWS answers a forced deletion of a secret that does not exist as if it had deleted it (so that retried
        and scripted deletions succeed): an ARN (the one given, or one made for the name) and the deletion date."""
        if secret_id.startswith("arn:"):
            arn, name = secret_id, secret_id.split(":secret:", 1)[-1]
        else:
            arn, name = secret_arn(ctx.account_id, ctx.region, secret_id), secret_id
        return {"ARN": arn, "Name": name, "DeletionDate": self.now()}

    def restore_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), deleted_ok=True)
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(deletion_date=None))
            self.runtime.scheduler.cancel(DELETE_JOB, job_key(secret.arn), conn)
        return {"ARN": secret.arn, "Name": secret.name}

    def _delete_job(self, job: JobContext) -> JobResult | None:
        arn = str(job.payload["arn"])
        with self.runtime.store.read() as conn:
            secret = find_secret(conn, str(job.payload["account"]), str(job.payload["region"]), arn)
        if secret is None or secret.deletion_date is None or secret.deletion_date > job.now:
            return None  # restored (or already gone) since the job was scheduled
        events.service_event(self.runtime, "EndSecretDeletion", secret.account_id, secret.region, arn)
        with self.runtime.store.write() as conn:
            purge(conn, arn)
            self.runtime.scheduler.cancel(ROTATE_JOB, job_key(arn), conn)
        return None
