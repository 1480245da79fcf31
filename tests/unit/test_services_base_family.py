"""services/base/family.py: every ``scheduled_jobs`` a provider's classes declare is registered once at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

from strongroom.services.base.family import ServiceBase, register_jobs
from strongroom.services.base.runtime import ServiceRuntime


class FakeScheduler:
    def __init__(self) -> None:
        self.handlers: dict[str, Callable[..., Any]] = {}

    def register(self, kind: str, handler: Callable[..., Any]) -> None:
        assert kind not in self.handlers
        self.handlers[kind] = handler


class FakeRuntime:
    def __init__(self) -> None:
        self.scheduler = FakeScheduler()


class Base(ServiceBase):
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.state = "ready"  # set before the handlers are registered
        super().__init__(runtime)


class Deletion(Base):
    scheduled_jobs: ClassVar[dict[str, str]] = {"svc-delete": "delete_job"}

    def delete_job(self, job: object) -> str:
        return f"deleted {self.state}"


class Rotation(Base):
    scheduled_jobs: ClassVar[dict[str, str]] = {"svc-rotate": "rotate_job", "svc-sweep": "sweep_job"}

    def rotate_job(self, job: object) -> str:
        return "rotated"

    def sweep_job(self, job: object) -> str:
        return "swept"


class Provider(Deletion, Rotation):
    pass


def test_every_family_job_is_registered_as_a_bound_method() -> None:
    runtime = FakeRuntime()
    provider = Provider(cast(ServiceRuntime, runtime))
    assert provider.runtime is runtime
    assert set(runtime.scheduler.handlers) == {"svc-delete", "svc-rotate", "svc-sweep"}
    assert runtime.scheduler.handlers["svc-delete"](None) == "deleted ready"
    assert runtime.scheduler.handlers["svc-rotate"](None) == "rotated"
    assert runtime.scheduler.handlers["svc-sweep"].__self__ is provider  # type: ignore[attr-defined]


def test_a_provider_without_jobs_registers_nothing() -> None:
    runtime = FakeRuntime()
    Base(cast(ServiceRuntime, runtime))
    assert runtime.scheduler.handlers == {}


def test_register_jobs_walks_the_mro() -> None:
    scheduler = FakeScheduler()
    register_jobs(Provider.__new__(Provider), scheduler)  # type: ignore[arg-type]
    assert set(scheduler.handlers) == {"svc-delete", "svc-rotate", "svc-sweep"}
