"""Amazon API Gateway (REST APIs, v1): the index of every control-plane operation Strongroom serves, grouped by family
file. Invoking the APIs (the data plane) is not served yet; ``deployed.py`` is what it will read."""

from __future__ import annotations

from strongroom.services.apigateway.apiparts import ApiPartOperations
from strongroom.services.apigateway.certificates import CertificateOperations
from strongroom.services.apigateway.deployments import DeploymentOperations
from strongroom.services.apigateway.domains import DomainOperations
from strongroom.services.apigateway.export import ExportOperations
from strongroom.services.apigateway.keys import KeyOperations
from strongroom.services.apigateway.methods import MethodOperations
from strongroom.services.apigateway.restapis import RestApiOperations
from strongroom.services.apigateway.tagging import TaggingOperations


class Provider(
    RestApiOperations,
    MethodOperations,
    DeploymentOperations,
    ApiPartOperations,
    KeyOperations,
    DomainOperations,
    TaggingOperations,
    ExportOperations,
    CertificateOperations,
):
    """Amazon API Gateway control plane."""

    # restapis.py
    create_resource = RestApiOperations.create_resource
    create_rest_api = RestApiOperations.create_rest_api
    delete_resource = RestApiOperations.delete_resource
    delete_rest_api = RestApiOperations.delete_rest_api
    get_account = RestApiOperations.get_account
    get_resource = RestApiOperations.get_resource
    get_resources = RestApiOperations.get_resources
    get_rest_api = RestApiOperations.get_rest_api
    get_rest_apis = RestApiOperations.get_rest_apis
    update_account = RestApiOperations.update_account
    update_resource = RestApiOperations.update_resource
    update_rest_api = RestApiOperations.update_rest_api

    # methods.py
    delete_integration = MethodOperations.delete_integration
    delete_integration_response = MethodOperations.delete_integration_response
    delete_method = MethodOperations.delete_method
    delete_method_response = MethodOperations.delete_method_response
    get_integration = MethodOperations.get_integration
    get_integration_response = MethodOperations.get_integration_response
    get_method = MethodOperations.get_method
    get_method_response = MethodOperations.get_method_response
    put_integration = MethodOperations.put_integration
    put_integration_response = MethodOperations.put_integration_response
    put_method = MethodOperations.put_method
    put_method_response = MethodOperations.put_method_response
    update_integration = MethodOperations.update_integration
    update_integration_response = MethodOperations.update_integration_response
    update_method = MethodOperations.update_method
    update_method_response = MethodOperations.update_method_response

    # deployments.py
    create_deployment = DeploymentOperations.create_deployment
    create_stage = DeploymentOperations.create_stage
    delete_deployment = DeploymentOperations.delete_deployment
    delete_stage = DeploymentOperations.delete_stage
    flush_stage_authorizers_cache = DeploymentOperations.flush_stage_authorizers_cache
    flush_stage_cache = DeploymentOperations.flush_stage_cache
    get_deployment = DeploymentOperations.get_deployment
    get_deployments = DeploymentOperations.get_deployments
    get_stage = DeploymentOperations.get_stage
    get_stages = DeploymentOperations.get_stages
    update_deployment = DeploymentOperations.update_deployment
    update_stage = DeploymentOperations.update_stage

    # apiparts.py
    create_authorizer = ApiPartOperations.create_authorizer
    create_model = ApiPartOperations.create_model
    create_request_validator = ApiPartOperations.create_request_validator
    delete_authorizer = ApiPartOperations.delete_authorizer
    delete_gateway_response = ApiPartOperations.delete_gateway_response
    delete_model = ApiPartOperations.delete_model
    delete_request_validator = ApiPartOperations.delete_request_validator
    get_authorizer = ApiPartOperations.get_authorizer
    get_authorizers = ApiPartOperations.get_authorizers
    get_gateway_response = ApiPartOperations.get_gateway_response
    get_gateway_responses = ApiPartOperations.get_gateway_responses
    get_model = ApiPartOperations.get_model
    get_models = ApiPartOperations.get_models
    get_request_validator = ApiPartOperations.get_request_validator
    get_request_validators = ApiPartOperations.get_request_validators
    put_gateway_response = ApiPartOperations.put_gateway_response
    update_authorizer = ApiPartOperations.update_authorizer
    update_gateway_response = ApiPartOperations.update_gateway_response
    update_model = ApiPartOperations.update_model
    update_request_validator = ApiPartOperations.update_request_validator

    # keys.py
    create_api_key = KeyOperations.create_api_key
    create_usage_plan = KeyOperations.create_usage_plan
    create_usage_plan_key = KeyOperations.create_usage_plan_key
    delete_api_key = KeyOperations.delete_api_key
    delete_usage_plan = KeyOperations.delete_usage_plan
    delete_usage_plan_key = KeyOperations.delete_usage_plan_key
    get_api_key = KeyOperations.get_api_key
    get_api_keys = KeyOperations.get_api_keys
    get_usage = KeyOperations.get_usage
    get_usage_plan = KeyOperations.get_usage_plan
    get_usage_plan_key = KeyOperations.get_usage_plan_key
    get_usage_plan_keys = KeyOperations.get_usage_plan_keys
    get_usage_plans = KeyOperations.get_usage_plans
    import_api_keys = KeyOperations.import_api_keys
    update_api_key = KeyOperations.update_api_key
    update_usage_plan = KeyOperations.update_usage_plan

    # domains.py
    create_base_path_mapping = DomainOperations.create_base_path_mapping
    create_domain_name = DomainOperations.create_domain_name
    delete_base_path_mapping = DomainOperations.delete_base_path_mapping
    delete_domain_name = DomainOperations.delete_domain_name
    get_base_path_mapping = DomainOperations.get_base_path_mapping
    get_base_path_mappings = DomainOperations.get_base_path_mappings
    get_domain_name = DomainOperations.get_domain_name
    get_domain_names = DomainOperations.get_domain_names
    update_base_path_mapping = DomainOperations.update_base_path_mapping
    update_domain_name = DomainOperations.update_domain_name

    # tagging.py
    get_tags = TaggingOperations.get_tags
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource

    # export.py
    get_export = ExportOperations.get_export
    import_rest_api = ExportOperations.import_rest_api
    put_rest_api = ExportOperations.put_rest_api

    # certificates.py
    delete_client_certificate = CertificateOperations.delete_client_certificate
    generate_client_certificate = CertificateOperations.generate_client_certificate
    get_client_certificate = CertificateOperations.get_client_certificate
    get_client_certificates = CertificateOperations.get_client_certificates
    update_client_certificate = CertificateOperations.update_client_certificate
