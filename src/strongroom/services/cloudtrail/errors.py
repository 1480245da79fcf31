"""CloudTrail's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

CloudTrailARNInvalidException = error_class("CloudTrailARNInvalidException")
InsightNotEnabledException = error_class("InsightNotEnabledException")
InvalidEventSelectorsException = error_class("InvalidEventSelectorsException")
InvalidHomeRegionException = error_class("InvalidHomeRegionException")
InvalidInsightSelectorsException = error_class("InvalidInsightSelectorsException")
InvalidLookupAttributesException = error_class("InvalidLookupAttributesException")
InvalidMaxResultsException = error_class("InvalidMaxResultsException")
InvalidNextTokenException = error_class("InvalidNextTokenException")
InvalidParameterCombinationException = error_class("InvalidParameterCombinationException")
InvalidS3BucketNameException = error_class("InvalidS3BucketNameException")
InvalidS3PrefixException = error_class("InvalidS3PrefixException")
InvalidTagParameterException = error_class("InvalidTagParameterException")
InvalidTimeRangeException = error_class("InvalidTimeRangeException")
InvalidTokenException = error_class("InvalidTokenException")
InvalidTrailNameException = error_class("InvalidTrailNameException")
MaximumNumberOfTrailsExceededException = error_class("MaximumNumberOfTrailsExceededException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
TagsLimitExceededException = error_class("TagsLimitExceededException")
TrailAlreadyExistsException = error_class("TrailAlreadyExistsException")
TrailNotFoundException = error_class("TrailNotFoundException")
