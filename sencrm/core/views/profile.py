"""The user's own page: name, contact details, language, time zone, password and API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.core.forms import ApiTokenForm, ProfileForm, apply_errors
from sencrm.core.models import ApiToken
from sencrm.core.services.users import api_token_create, api_token_revoke, profile_update

User = get_user_model()


def _tokens_context(user, *, token_form=None, new_key: str = "", new_token=None) -> dict:
    return {
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-id"),
        "token_form": token_form or ApiTokenForm(),
        "new_key": new_key,
        "new_token": new_token,
    }


@login_required
def profile(request):
    # A fresh copy: a form that fails validation must not change the user the page frame shows.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            user = profile_update(
                user=request.user, **{name: form.cleaned_data[name] for name in form.fields}
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            with translation.override(user.language):
                messages.success(request, _("Your profile has been saved."))
            response = redirect("profile")
            # The sign-in page (before the profile is known) uses this cookie: keep it in step.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return render(request, "core/profile.html", {"form": form, **_tokens_context(request.user)})


def _tokens_response(request, context: dict):
    if request.htmx:
        return render(request, "core/partials/api_tokens.html", context)
    form = ProfileForm(instance=User.objects.get(pk=request.user.pk))
    return render(request, "core/profile.html", {"form": form, **context})


@login_required
@require_POST
def token_create(request):
    """Issue a token and show its key this once (the response is the only place it appears)."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            response = _tokens_response(request, _tokens_context(request.user, new_key=key, new_token=token))
            response["Cache-Control"] = "no-store"
            return response
    return _tokens_response(request, _tokens_context(request.user, token_form=form))


@login_required
@require_POST
def token_revoke(request, pk: int):
    if not api_token_revoke(user=request.user, token_id=pk):
        raise Http404
    if request.htmx:
        return _tokens_response(request, _tokens_context(request.user))
    messages.success(request, _("The token has been revoked."))
    return redirect("profile")
