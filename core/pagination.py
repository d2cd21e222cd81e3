from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=` with `count`, `next`, `previous`, `results`; limit capped.

    The schema declares both as integers, so text that is not one is a 400 (DRF would use the
    default); a whole number out of range is still clamped as documented (limit 1..200, offset 0..).
    """

    default_limit = 20
    max_limit = 200

    def get_limit(self, request):
        self._require_integer(request, self.limit_query_param)
        return super().get_limit(request)

    def get_offset(self, request):
        self._require_integer(request, self.offset_query_param)
        return super().get_offset(request)

    @staticmethod
    def _require_integer(request, name: str) -> None:
        for value in request.query_params.getlist(name):
            try:
                int(value)
            except ValueError:
                raise ValidationError({name: ["A whole number is required."]}) from None
