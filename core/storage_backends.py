from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from core.storage import presigned_download


class SignedFileSystemStorage(FileSystemStorage):
    """Local files whose url() is a signed, expiring link, like S3's presigned URLs.

    So FileField.url (the admin's "Currently:" links among others) works the same in
    both modes, and nothing in MEDIA_ROOT is ever served without a signature.
    """

    def url(self, name):
        return presigned_download(name)


class SignedS3Storage(S3Storage):
    """S3 whose url() is core.storage's presigned GET, with the project's type and disposition.

    django-storages' own url() signs a plain GET, which the bucket answers with whatever type
    the object was stored with; the admin's links must be served like every other download.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        return presigned_download(name, expires=expire)
