"""The forecast category of a deal when its owner overrides the default (Dự báo doanh số)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ForecastCategory(models.TextChoices):
    """Where an open deal counts in the forecast. By default it follows the deal's probability
    (services.forecast.COMMIT_MIN / BEST_CASE_MIN); the owner may set it on the deal."""

    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    # "Pipeline" also names a sales process (Quy trình bán hàng): a context keeps them apart.
    PIPELINE = "pipeline", pgettext_lazy("forecast category", "Pipeline")
    OMITTED = "omitted", _("Omitted")


class OpportunityForecast(models.Model):
    """A deal's forecast category chosen by hand (no row: the default from its probability).

    Its own table because the deal lives in crm, which does not know the forecast (sales is above
    it); one row per deal, joined in the forecast's aggregate queries.
    """

    opportunity = models.OneToOneField(
        "crm.Opportunity", on_delete=models.CASCADE, related_name="forecast", verbose_name=_("opportunity")
    )
    category = models.CharField(_("forecast category"), max_length=10, choices=ForecastCategory.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("forecast category")
        verbose_name_plural = _("forecast categories")

    def __str__(self) -> str:
        return self.get_category_display()
