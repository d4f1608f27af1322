from sencrm.crm.models.accounts import Account
from sencrm.crm.models.activities import Activity
from sencrm.crm.models.contacts import Contact
from sencrm.crm.models.leads import Lead
from sencrm.crm.models.opportunities import Opportunity, Pipeline, Stage, StageChange

__all__ = ["Account", "Activity", "Contact", "Lead", "Opportunity", "Pipeline", "Stage", "StageChange"]
