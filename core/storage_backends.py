"""Storage backends whose url() is core.storage's presigned download (local files here, S3 in core.storage_s3).

Kept apart so that the embedded default never imports boto3 (about 15 MB per process).
"""

from django.core.files.storage import FileSystemStorage

from core.storage import presigned_download


class SignedFileSystemStorage(FileSystemStorage):
    """Local files whose url() is a signed, expiring link, like S3's presigned URLs.

    So FileField.url (the admin's "Currently:" links among others) works the same in
    both modes, and nothing in MEDIA_ROOT is ever served without a signature.
    """

    def url(self, name):
        return presigned_download(name)
