from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sencrm.sales"
    label = "sales"
    verbose_name = "sales"

    def ready(self):
        # Lower apps never import this one (docs/ARCHITECTURE.md): the record kinds join the
        # role rights and the Trash through core.models.MODULES, the menu through core's MENU,
        # and global search through its registry, all by name at start-up.
        from sencrm.core.context_processors import MENU
        from sencrm.core.models import MODULES
        from sencrm.sales.search import register_sales

        MODULES.setdefault("sales.product", _("Products"))
        MODULES.setdefault("sales.pricelist", _("Price lists"))
        MODULES.setdefault("sales.quote", _("Quotes"))
        for item in (
            ("sales.quote", "sales:quote_list", _("Quotes")),
            ("sales.product", "sales:product_list", _("Products")),
            ("sales.pricelist", "sales:pricelist_list", _("Price lists")),
        ):
            if item[0] not in {entry[0] for entry in MENU}:
                MENU.append(item)
        register_sales()
        self._register_planning()
        self._register_orders()

    def _register_orders(self):
        # Orders, invoices and contracts (issue 5, part B): record kinds with role rights and
        # menu entries, joined by name like the rest of sales.
        from sencrm.core.context_processors import MENU
        from sencrm.core.models import MODULES
        from sencrm.core.widgets import Block, record_panel_register
        from sencrm.sales.views.orders import purchase_panel_context

        MODULES.setdefault("sales.order", _("Orders"))
        MODULES.setdefault("sales.invoice", _("Invoices"))
        MODULES.setdefault("sales.contract", _("Contracts"))
        for item in (
            ("sales.order", "sales:order_list", _("Orders")),
            ("sales.invoice", "sales:invoice_list", _("Invoices")),
            ("sales.invoice", "sales:receivables", _("Receivables")),
            ("sales.contract", "sales:contract_list", _("Contracts")),
        ):
            if item[1] not in {entry[1] for entry in MENU}:
                MENU.append(item)
        # Purchase history (and, for an account, its balances) on the account and contact pages.
        for entity in ("crm.account", "crm.contact"):
            record_panel_register(
                entity, Block("sales.orders", "sales/partials/order_panel.html", purchase_panel_context)
            )

    def _register_planning(self):
        # Forecast, targets and stage playbooks (issue 5, part C): targets are a record kind with
        # role rights; the playbook joins every stage change through crm's stage entry hooks; the
        # targets widget and the checklist panel join crm's pages through core's block registry.
        from sencrm.core.context_processors import MENU
        from sencrm.core.models import MODULES
        from sencrm.core.widgets import Block, home_widget_register, record_panel_register
        from sencrm.crm.services import opportunities
        from sencrm.sales.services.playbooks import stage_entered, stage_entry_check
        from sencrm.sales.views.playbooks import opportunity_panel_context
        from sencrm.sales.views.targets import home_targets_context

        MODULES.setdefault("sales.target", _("Targets"))
        for item in (
            ("crm.opportunity", "sales:forecast", _("Forecast")),
            ("sales.target", "sales:target_list", _("Targets")),
        ):
            if item[1] not in {entry[1] for entry in MENU}:
                MENU.append(item)
        if stage_entry_check not in opportunities.STAGE_ENTRY_CHECKS:
            opportunities.STAGE_ENTRY_CHECKS.append(stage_entry_check)
        if stage_entered not in opportunities.STAGE_ENTERED:
            opportunities.STAGE_ENTERED.append(stage_entered)
        home_widget_register(Block("sales.targets", "sales/partials/target_home.html", home_targets_context))
        record_panel_register(
            "crm.opportunity",
            Block("sales.playbook", "sales/partials/playbook_panel.html", opportunity_panel_context),
        )

    def demo_extend(self, *, seed: int, size: float, log=None) -> dict[str, int]:
        """Called by ``sencrm demo`` after the CRM demo: the product catalogue and some quotes."""
        from sencrm.sales.demo import build_sales_demo
        from sencrm.sales.demo_planning import build_planning_demo

        counts = build_sales_demo(seed=seed, size=size, log=log)
        counts.update(build_planning_demo(seed=seed, log=log))  # targets and a playbook (part C)
        from sencrm.sales.demo_orders import build_orders_demo

        counts.update(
            build_orders_demo(seed=seed, size=size, log=log)
        )  # orders, invoices, contracts (part B)
        return counts
