"""Sign-in, sign-out and passwords: Django's views with our forms, templates and messages.

Failed sign-ins are counted by django-axes (settings.AXES_*): after AXES_FAILURE_LIMIT failures for
one username from one address, that pair is locked out and sees ``registration/locked_out.html``.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from sencrm.core.forms import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password (the old one is asked for); the session stays logged in."""

    form_class = PasswordChangeForm
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email. The answer never says whether the address is known."""

    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
