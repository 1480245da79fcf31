"""AWS Certificate Manager: the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.acm.imports import ImportExportOperations
from strongroom.services.acm.lifecycle import LifecycleOperations
from strongroom.services.acm.manage import ManageOperations
from strongroom.services.acm.request import RequestOperations
from strongroom.services.acm.tagging import TaggingOperations


class Provider(LifecycleOperations, RequestOperations, ImportExportOperations, ManageOperations, TaggingOperations):
    """AWS Certificate Manager. ACME endpoint operations (CreateAcmeEndpoint & co.) are not implemented."""

    # lifecycle.py
    renew_certificate = LifecycleOperations.renew_certificate
    revoke_certificate = LifecycleOperations.revoke_certificate

    # request.py
    list_certificate_domain_validations = RequestOperations.list_certificate_domain_validations
    request_certificate = RequestOperations.request_certificate
    resend_validation_email = RequestOperations.resend_validation_email

    # imports.py
    export_certificate = ImportExportOperations.export_certificate
    import_certificate = ImportExportOperations.import_certificate

    # manage.py
    delete_certificate = ManageOperations.delete_certificate
    describe_certificate = ManageOperations.describe_certificate
    get_account_configuration = ManageOperations.get_account_configuration
    get_certificate = ManageOperations.get_certificate
    list_certificates = ManageOperations.list_certificates
    put_account_configuration = ManageOperations.put_account_configuration
    search_certificates = ManageOperations.search_certificates
    update_certificate_options = ManageOperations.update_certificate_options

    # tagging.py
    add_tags_to_certificate = TaggingOperations.add_tags_to_certificate
    list_tags_for_certificate = TaggingOperations.list_tags_for_certificate
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    remove_tags_from_certificate = TaggingOperations.remove_tags_from_certificate
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
