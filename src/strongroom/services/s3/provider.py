"""Amazon S3: the index of every operation Strongroom serves, grouped by family file.

Not served (answered NotImplemented): S3 Express / directory buckets, Select, Object Lambda, analytics, inventory,
metrics, intelligent-tiering, website, logging, accelerate, request payment, object ACLs, restore, annotations.
"""

from __future__ import annotations

from strongroom.services.s3.buckets import BucketOperations
from strongroom.services.s3.configs import ConfigOperations
from strongroom.services.s3.lifecycle import LifecycleOperations
from strongroom.services.s3.listing import ListingOperations
from strongroom.services.s3.locking import LockOperations
from strongroom.services.s3.multipart import MultipartOperations
from strongroom.services.s3.objects import ObjectOperations
from strongroom.services.s3.replication import ReplicationOperations
from strongroom.services.s3.tagging import TaggingOperations


class Provider(
    BucketOperations,
    ConfigOperations,
    ListingOperations,
    ObjectOperations,
    TaggingOperations,
    LockOperations,
    MultipartOperations,
    LifecycleOperations,
    ReplicationOperations,
):
    """Amazon S3 with every object body encrypted at rest."""

    # buckets.py
    create_bucket = BucketOperations.create_bucket
    delete_bucket = BucketOperations.delete_bucket
    head_bucket = BucketOperations.head_bucket
    get_bucket_location = BucketOperations.get_bucket_location
    put_bucket_versioning = BucketOperations.put_bucket_versioning
    get_bucket_versioning = BucketOperations.get_bucket_versioning
    put_bucket_ownership_controls = BucketOperations.put_bucket_ownership_controls
    get_bucket_ownership_controls = BucketOperations.get_bucket_ownership_controls
    delete_bucket_ownership_controls = BucketOperations.delete_bucket_ownership_controls

    # configs.py
    put_bucket_policy = ConfigOperations.put_bucket_policy
    get_bucket_policy = ConfigOperations.get_bucket_policy
    delete_bucket_policy = ConfigOperations.delete_bucket_policy
    get_bucket_policy_status = ConfigOperations.get_bucket_policy_status
    put_public_access_block = ConfigOperations.put_public_access_block
    get_public_access_block = ConfigOperations.get_public_access_block
    delete_public_access_block = ConfigOperations.delete_public_access_block
    put_bucket_encryption = ConfigOperations.put_bucket_encryption
    get_bucket_encryption = ConfigOperations.get_bucket_encryption
    delete_bucket_encryption = ConfigOperations.delete_bucket_encryption
    put_bucket_tagging = ConfigOperations.put_bucket_tagging
    get_bucket_tagging = ConfigOperations.get_bucket_tagging
    delete_bucket_tagging = ConfigOperations.delete_bucket_tagging
    put_bucket_cors = ConfigOperations.put_bucket_cors
    get_bucket_cors = ConfigOperations.get_bucket_cors
    delete_bucket_cors = ConfigOperations.delete_bucket_cors
    put_bucket_lifecycle_configuration = ConfigOperations.put_bucket_lifecycle_configuration
    get_bucket_lifecycle_configuration = ConfigOperations.get_bucket_lifecycle_configuration
    delete_bucket_lifecycle = ConfigOperations.delete_bucket_lifecycle
    put_bucket_notification_configuration = ConfigOperations.put_bucket_notification_configuration
    get_bucket_notification_configuration = ConfigOperations.get_bucket_notification_configuration
    get_bucket_acl = ConfigOperations.get_bucket_acl
    put_bucket_acl = ConfigOperations.put_bucket_acl

    # listing.py
    list_buckets = ListingOperations.list_buckets
    list_objects = ListingOperations.list_objects
    list_objects_v2 = ListingOperations.list_objects_v2
    list_object_versions = ListingOperations.list_object_versions

    # objects.py
    put_object = ObjectOperations.put_object
    get_object = ObjectOperations.get_object
    head_object = ObjectOperations.head_object
    delete_object = ObjectOperations.delete_object
    delete_objects = ObjectOperations.delete_objects
    copy_object = ObjectOperations.copy_object
    get_object_attributes = ObjectOperations.get_object_attributes

    # tagging.py
    put_object_tagging = TaggingOperations.put_object_tagging
    get_object_tagging = TaggingOperations.get_object_tagging
    delete_object_tagging = TaggingOperations.delete_object_tagging

    # locking.py
    put_object_lock_configuration = LockOperations.put_object_lock_configuration
    get_object_lock_configuration = LockOperations.get_object_lock_configuration
    put_object_retention = LockOperations.put_object_retention
    get_object_retention = LockOperations.get_object_retention
    put_object_legal_hold = LockOperations.put_object_legal_hold
    get_object_legal_hold = LockOperations.get_object_legal_hold

    # multipart.py
    create_multipart_upload = MultipartOperations.create_multipart_upload
    upload_part = MultipartOperations.upload_part
    upload_part_copy = MultipartOperations.upload_part_copy
    complete_multipart_upload = MultipartOperations.complete_multipart_upload
    abort_multipart_upload = MultipartOperations.abort_multipart_upload
    list_parts = MultipartOperations.list_parts
    list_multipart_uploads = MultipartOperations.list_multipart_uploads

    # replication.py
    put_bucket_replication = ReplicationOperations.put_bucket_replication
    get_bucket_replication = ReplicationOperations.get_bucket_replication
    delete_bucket_replication = ReplicationOperations.delete_bucket_replication
