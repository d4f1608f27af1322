"""``common.bulk.bulk_prepare``: what is refused before any record is touched."""

import pytest
from django.core.exceptions import ValidationError

from sencrm.common.bulk import bulk_fields, bulk_prepare
from sencrm.crm.models import Lead


def test_prepare_checks_values(org):
    with pytest.raises(ValidationError):
        bulk_prepare(Lead, action="nonsense", ids=[1])
    with pytest.raises(ValidationError):
        bulk_prepare(Lead, action="assign_owner", value="999999", ids=[1])
    with pytest.raises(ValidationError):
        bulk_prepare(Lead, action="add_tags", value=" , ", ids=[1])
    with pytest.raises(ValidationError):
        bulk_prepare(Lead, action="set_field", field_name="owner", value="1", ids=[1])
    with pytest.raises(ValidationError):
        bulk_prepare(Lead, action="delete", ids=["x"])
    req = bulk_prepare(Lead, action="assign_owner", value=str(org.bob.pk), ids=["3", "2", "3"])
    assert (req.value, req.ids) == (org.bob, [2, 3])
    assert bulk_prepare(Lead, action="add_tags", value="VIP, Hà Nội", ids=[1]).value == ["VIP", "Hà Nội"]
    assert "status" in bulk_fields(Lead)


def test_a_yes_no_field_takes_the_value_input_s_true_and_false(org):
    from sencrm.crm.models import Contact

    for raw, expected in (("true", True), ("false", False), ("True", True), ("0", False)):
        req = bulk_prepare(Contact, action="set_field", field_name="do_not_contact", value=raw, ids=[1])
        assert req.value is expected
    with pytest.raises(ValidationError):
        bulk_prepare(Contact, action="set_field", field_name="do_not_contact", value="maybe", ids=[1])
