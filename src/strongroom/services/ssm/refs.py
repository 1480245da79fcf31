"""A parameter as a request names it (owner, stored name, selector): what every SSM module passes around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.services.ssm.rules import parameter_arn


@dataclass(frozen=True, slots=True)
class Ref:
    """A parameter as a request named it: owner, name and the optional ``:version`` / ``:label`` selector."""

    account_id: str
    region: str
    name: str  # as stored
    selector: str | None = None
    given: str | None = None  # as the request spelled it (``/x`` for a stored ``x``), answered back as AWS does

    @property
    def shown(self) -> str:
        return self.given or self.name

    @property
    def arn(self) -> str:
        return parameter_arn(self.account_id, self.region, self.name)

    @property
    def key(self) -> dict[str, Any]:
        """The bind parameters of the module's prepared statements."""
        return {"k_account": self.account_id, "k_region": self.region, "k_name": self.name}
