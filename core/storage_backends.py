from django.core.files.storage import FileSystemStorage

from core.storage import presigned_download


class SignedFileSystemStorage(FileSystemStorage):
    """Local files whose url() is a signed, expiring link, like S3's presigned URLs.

    So FileField.url (the admin's "Currently:" links among others) works the same in
    both modes, and nothing in MEDIA_ROOT is ever served without a signature.
    """

    def url(self, name):
        return presigned_download(name)
