from rest_framework import permissions


class IsCreatorOrStaffOrReadOnly(permissions.BasePermission):
    """Anyone may read; creating needs an account; changing needs the creator or staff."""

    message = "Only the person who created this, or staff, can change it."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_staff or obj.created_by_id == request.user.pk
