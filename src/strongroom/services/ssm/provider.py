"""AWS Systems Manager Parameter Store: the index of every operation Strongroom serves, by family module.

Each family inherits only ``SsmBase``; the class body below names the function behind each operation, so the
dispatcher's ``getattr(provider, snake_case(operation))`` never depends on the order of the bases. Every other
SSM operation (documents, automation, inventory, ...) answers NotImplemented through the pipeline.
"""

from __future__ import annotations

from strongroom.services.ssm.describe import ListingOperations
from strongroom.services.ssm.history import HistoryOperations
from strongroom.services.ssm.lifecycle import ParameterPolicyOperations
from strongroom.services.ssm.parameters import ParameterOperations
from strongroom.services.ssm.resource_policies import ResourcePolicyOperations
from strongroom.services.ssm.settings import SettingOperations
from strongroom.services.ssm.tags import TagOperations


class Provider(
    ParameterOperations,
    ListingOperations,
    HistoryOperations,
    TagOperations,
    ResourcePolicyOperations,
    SettingOperations,
    ParameterPolicyOperations,
):
    """Parameter Store as AWS serves it; see docs/parameter-store.md for what differs."""

    # parameters.py
    put_parameter = ParameterOperations.put_parameter
    get_parameter = ParameterOperations.get_parameter
    get_parameters = ParameterOperations.get_parameters
    delete_parameter = ParameterOperations.delete_parameter
    delete_parameters = ParameterOperations.delete_parameters
    # describe.py
    describe_parameters = ListingOperations.describe_parameters
    get_parameters_by_path = ListingOperations.get_parameters_by_path
    # history.py
    get_parameter_history = HistoryOperations.get_parameter_history
    label_parameter_version = HistoryOperations.label_parameter_version
    unlabel_parameter_version = HistoryOperations.unlabel_parameter_version
    # tags.py
    add_tags_to_resource = TagOperations.add_tags_to_resource
    remove_tags_from_resource = TagOperations.remove_tags_from_resource
    list_tags_for_resource = TagOperations.list_tags_for_resource
    # resource_policies.py
    put_resource_policy = ResourcePolicyOperations.put_resource_policy
    get_resource_policies = ResourcePolicyOperations.get_resource_policies
    delete_resource_policy = ResourcePolicyOperations.delete_resource_policy
    # settings.py
    get_service_setting = SettingOperations.get_service_setting
    update_service_setting = SettingOperations.update_service_setting
    reset_service_setting = SettingOperations.reset_service_setting
    # lifecycle.py: no operation; the scheduled job that acts on parameter policies (scheduled_jobs)
