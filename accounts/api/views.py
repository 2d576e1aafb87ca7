from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services

from .serializers import EndedSessionsSerializer, MeSerializer, SignedInBrowserSerializer


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


class SignedInBrowsers(APIView):
    """Where the caller is signed in (the same list as the "Where you're signed in" page)."""

    @extend_schema(summary="My signed-in browsers", responses={200: SignedInBrowserSerializer(many=True)})
    def get(self, request):
        listed = selectors.signed_in_browsers(request.user, current_key=request.session.session_key)
        return Response(SignedInBrowserSerializer(listed, many=True).data)


class EndSignedInBrowser(APIView):
    @extend_schema(summary="Sign one of my browsers out", request=None, responses={204: None})
    def delete(self, request, session_id):
        services.end_session(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndOtherBrowsers(APIView):
    @extend_schema(
        summary="Sign out every browser but this one",
        request=None,
        responses={200: EndedSessionsSerializer},
    )
    def post(self, request):
        ended = services.end_other_sessions(user=request.user, keep_key=request.session.session_key)
        return Response(EndedSessionsSerializer({"ended": ended}).data)
