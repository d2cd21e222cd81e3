"""The S3 backend of the full stack; its own module so the embedded default never imports boto3."""

from storages.backends.s3 import S3Storage

from core.storage import presigned_download


class SignedS3Storage(S3Storage):
    """S3 whose url() is core.storage's presigned GET, with the project's type and disposition.

    django-storages' own url() signs a plain GET, which the bucket answers with whatever type
    the object was stored with; the admin's links must be served like every other download.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        return presigned_download(name, expires=expire)
