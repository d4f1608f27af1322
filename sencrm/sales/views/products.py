"""Products (Sản phẩm) and price lists (Bảng giá): the catalogue pages."""

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common.lists import BooleanFilter, ChoiceFilter, Column, RelatedFilter, TagFilter, UserFilter
from sencrm.common.views import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from sencrm.sales.forms import PriceListForm, ProductForm, format_decimal, parse_decimal
from sencrm.sales.models import PriceList, Product, ProductGroup
from sencrm.sales.services.products import price_list_create, price_list_update, product_create
from sencrm.sales.templatetags.sales import format_amount


def list_price(obj):
    return format_html("{}", format_amount(obj.list_price, obj.currency))


class ProductListView(ObjectListView):
    model = Product
    queryset = Product.objects.select_related("group")
    columns = [
        Column("code", sort="code"),
        Column("name", link=True, sort="sort_name"),
        Column("group"),
        Column("unit", sort=None),
        Column("list_price", render=list_price, sort="list_price", css="text-end"),
        Column("vat_rate"),
        Column("active"),
        Column("owner", default=False),
        Column("created_at", default=False),
    ]
    filters = [
        RelatedFilter("group", listed=True, queryset=ProductGroup.objects.all()),
        ChoiceFilter("vat_rate"),
        BooleanFilter("active"),
        UserFilter("owner"),
        TagFilter(),
    ]
    default_sort = ["sort_name"]

    def picker_detail(self, obj) -> str:
        return format_amount(obj.list_price, obj.currency)


class ProductDetailView(ObjectDetailView):
    model = Product
    queryset = Product.objects.select_related("group")
    fieldsets = [
        (gettext_lazy("Product"), ["code", "group", "unit", "active"]),
        (gettext_lazy("Price"), [(gettext_lazy("List price"), list_price), "vat_rate"]),
        (None, ["description:multiline"]),
    ]


class ProductEditView(ObjectEditView):
    model = Product
    form_class = ProductForm

    def save(self, request, form, obj):
        if obj.pk is None:
            return product_create(
                by=request.user, data=form.service_data(), custom=form.custom_values(), tags=form.tag_names()
            )
        return super().save(request, form, obj)


class ProductDeleteView(ObjectDeleteView):
    model = Product


# --------------------------------------------------------------------------------------------------
# Price lists
# --------------------------------------------------------------------------------------------------


def validity(obj):
    start = obj.valid_from.strftime("%d/%m/%Y") if obj.valid_from else "…"
    end = obj.valid_to.strftime("%d/%m/%Y") if obj.valid_to else "…"
    return format_html("{} – {}", start, end)


class PriceListListView(ObjectListView):
    model = PriceList
    queryset = PriceList.objects.select_related("customer_group")
    columns = [
        Column("name", link=True, sort="sort_name"),
        Column("currency", sort="currency"),
        Column("validity", label=gettext_lazy("Valid"), render=validity, sort="valid_from"),
        Column("account_type", sort=None),
        Column("customer_group", sort=None),
        Column("active"),
        Column("owner", default=False),
    ]
    filters = [BooleanFilter("active"), UserFilter("owner"), TagFilter()]
    default_sort = ["sort_name"]


class PriceListDetailView(ObjectDetailView):
    model = PriceList
    queryset = PriceList.objects.select_related("customer_group")
    fieldsets = [
        (
            gettext_lazy("Price list"),
            ["currency", (gettext_lazy("Valid"), validity), "account_type", "customer_group", "active"],
        ),
        (None, ["description:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        items = list(obj.items.select_related("product").order_by("product__code"))
        return {"items": items}


#: Empty item rows the price list form offers below the existing ones.
BLANK_ITEMS = 5


class PriceListEditView(ObjectEditView):
    model = PriceList
    form_class = PriceListForm

    def item_rows(self, request, obj) -> list[dict]:
        if request.method == "POST":
            rows = [
                {"product": p, "unit_price": price}
                for p, price in zip(
                    request.POST.getlist("item_product"),
                    request.POST.getlist("item_unit_price"),
                    strict=False,
                )
            ]
        elif obj.pk:
            rows = [
                {"product": str(i.product_id), "unit_price": format_decimal(i.unit_price)}
                for i in obj.items.order_by("product__code")
            ]
        else:
            rows = []
        return rows + [{"product": "", "unit_price": ""}] * BLANK_ITEMS

    def parse_items(self, request) -> list[dict]:
        products = {str(p.pk): p for p in Product.objects.visible_to(request.user)}
        items, errors = [], {}
        pairs = zip(
            request.POST.getlist("item_product"), request.POST.getlist("item_unit_price"), strict=False
        )
        for product_id, price in pairs:
            if not product_id and not price.strip():
                continue
            index = len(items)
            product = products.get(product_id)
            number = parse_decimal(price)
            if product is None:
                errors[f"items.{index}.product"] = [_("Choose a product.")]
            if number is None:
                errors[f"items.{index}.unit_price"] = [_("Enter a number.")]
            items.append({"product": product, "unit_price": number})
        if errors:
            raise ValidationError(errors)
        return items

    def save(self, request, form, obj):
        try:
            items = self.parse_items(request)
            if obj.pk is None:
                return price_list_create(
                    by=request.user,
                    data=form.service_data(),
                    items=items,
                    custom=form.custom_values(),
                    tags=form.tag_names(),
                )
            return price_list_update(
                price_list=obj,
                by=request.user,
                data=form.service_data(),
                items=items,
                custom=form.custom_values(),
                tags=form.tag_names(),
                expected_version=form.expected_version(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                self.item_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("items.")}
                rest = {k: v for k, v in exc.message_dict.items() if not k.startswith("items.")}
                if self.item_errors:
                    rest.setdefault("__all__", []).append(_("Check the prices below."))
                raise ValidationError(rest) from None
            raise

    def get_item_context(self, request, obj) -> dict:
        errors = getattr(self, "item_errors", {})
        rows = self.item_rows(request, obj)
        for index, row in enumerate(rows):
            row["errors"] = errors.get(f"items.{index}.product", []) + errors.get(
                f"items.{index}.unit_price", []
            )
        return {"item_rows": rows, "products": Product.objects.visible_to(request.user).order_by("code")}

    def base_context(self, request) -> dict:
        context = super().base_context(request)
        obj = getattr(self, "_obj", None)
        if obj is not None:
            context.update(self.get_item_context(request, obj))
        return context

    def get_object(self, request, pk):
        self._obj = super().get_object(request, pk)
        return self._obj


class PriceListDeleteView(ObjectDeleteView):
    model = PriceList
