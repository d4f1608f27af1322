from django.contrib import admin

from sencrm.sales.models import Currency, ExchangeRate, ProductGroup, SellerProfile

# Reference tables without pages of their own yet: the Django admin edits them.
admin.site.register(Currency)
admin.site.register(ExchangeRate)
admin.site.register(ProductGroup)
admin.site.register(SellerProfile)
