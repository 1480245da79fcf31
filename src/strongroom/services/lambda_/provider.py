"""AWS Lambda, the subset rotation needs: the index of every operation Strongroom serves, by family module.

See docs/lambda.md for what differs from AWS; the rest of the model answers NotImplemented.
"""

from __future__ import annotations

from strongroom.services.lambda_.functions import FunctionOperations
from strongroom.services.lambda_.invoke import InvokeOperations
from strongroom.services.lambda_.permissions import PermissionOperations


class Provider(FunctionOperations, InvokeOperations, PermissionOperations):
    """Every Lambda operation Strongroom serves."""

    # functions.py
    create_function = FunctionOperations.create_function
    get_function = FunctionOperations.get_function
    get_function_configuration = FunctionOperations.get_function_configuration
    list_functions = FunctionOperations.list_functions
    update_function_code = FunctionOperations.update_function_code
    update_function_configuration = FunctionOperations.update_function_configuration
    publish_version = FunctionOperations.publish_version
    delete_function = FunctionOperations.delete_function
    # invoke.py
    invoke = InvokeOperations.invoke
    # permissions.py
    add_permission = PermissionOperations.add_permission
    remove_permission = PermissionOperations.remove_permission
    get_policy = PermissionOperations.get_policy
