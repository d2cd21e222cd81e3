from rest_framework import permissions


class IsCreatorOrStaff(permissions.BasePermission):
    """Changing an object needs its creator or staff; reading is left to the other permissions.

    Used beside IsAuthenticatedOrReadOnly (anyone reads, an account creates), which also
    tells the OpenAPI schema that reads need no credentials.
    """

    message = "Only the person who created this, or staff, can change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_staff or obj.created_by_id == request.user.pk
