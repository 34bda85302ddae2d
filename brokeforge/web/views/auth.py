"""Signing in and out, and changing one's password."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy

from brokeforge.web.forms import LoginForm

login = login_not_required(
    auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)
)
logout = auth_views.LogoutView.as_view()


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("servers")
    success_message = "Your password was changed."


password_change = PasswordChangeView.as_view()
