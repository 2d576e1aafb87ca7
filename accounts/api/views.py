from rest_framework import generics

from accounts import services

from .serializers import MeSerializer


class Me(generics.RetrieveUpdateAPIView):
    """The signed-in user's account. PATCH first_name, last_name, phone or timezone."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        user = self.request.user
        data = {field: getattr(user, field) for field in ("first_name", "last_name", "phone", "timezone")}
        data.update(serializer.validated_data)
        services.update_account(user=user, **data)
